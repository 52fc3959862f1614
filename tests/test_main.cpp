// The Boost.Test entry point shared by every test binary.
#define BOOST_TEST_MODULE payrecon
#include <boost/test/unit_test.hpp>
