// The Boost.Test entry point shared by every test binary.
#define BOOST_TEST_MODULE payrecon
#include <boost/test/unit_test.hpp>

#include <csignal>

namespace {

// As payrecon itself does (jobs/signals.cpp): a write to a connection the peer has closed is an error to handle,
// not a signal that ends the process. OpenSSL writes TLS records with write(2), which raises SIGPIPE.
struct IgnoreSigpipe {
  IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);
