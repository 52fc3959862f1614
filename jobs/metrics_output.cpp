#include "jobs/metrics_output.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "env/files.h"
#include "jobs/log.h"
#include "net/http_session.h"

namespace payrecon::jobs {

namespace {

std::string ReadIfExists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string PushUrl(const config::MetricsSettings& settings, std::string_view mode) {
  std::string url = settings.pushgateway_url + "/metrics/job/" + settings.job;
  if (!settings.instance.empty()) url += "/instance/" + settings.instance;
  return url + "/mode/" + std::string(mode);
}

PushResult PushMetrics(const std::string& url, bool replace, const std::string& body, core::Millis timeout) {
  PushResult result;
  try {
    const Poco::URI uri(url);
    const bool https = uri.getScheme() == "https";
    const std::unique_ptr<Poco::Net::HTTPClientSession> session =
        net::OpenSession({https, uri.getHost(), uri.getPort()},
                         https ? net::ClientTlsContext("") : Poco::Net::Context::Ptr(), {timeout, timeout, timeout});
    Poco::Net::HTTPRequest request(replace ? Poco::Net::HTTPRequest::HTTP_PUT : Poco::Net::HTTPRequest::HTTP_POST,
                                   uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("text/plain; version=0.0.4");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::string answer;
    Poco::StreamCopier::copyToString(in, answer, 4096);
    result.http_status = static_cast<int>(response.getStatus());
    if (result.http_status < 200 || result.http_status > 299) {
      if (answer.size() > 300) answer.resize(300);
      while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
      result.error = "HTTP " + std::to_string(result.http_status) + (answer.empty() ? "" : ": " + answer);
    }
  } catch (const Poco::Exception& e) {
    result.error = e.displayText();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

void PublishRunMetrics(const config::MetricsSettings& settings, const RunMetricsInput& input) {
  if (settings.textfile.empty() && settings.pushgateway_url.empty()) return;
  const bool success = IsSuccessfulExit(input.exit_code);
  std::string text;
  try {
    text = RenderRunMetrics(input);
  } catch (const std::exception& e) {
    LogWarn(std::string("metrics not written: ") + e.what());
    return;
  }
  if (!settings.textfile.empty()) {
    try {
      const std::string merged = MergeExposition(ReadIfExists(settings.textfile), text, input.mode, success);
      env::WriteFileAtomically(settings.textfile, merged);
      LogDebug("metrics written to \"" + settings.textfile + "\"");
    } catch (const std::exception& e) {
      LogWarn(std::string("metrics textfile not written: ") + e.what(), {{"textfile", settings.textfile}});
    }
  }
  if (!settings.pushgateway_url.empty()) {
    const std::string url = PushUrl(settings, input.mode);
    const PushResult r = PushMetrics(url, success, text, settings.push_timeout);
    if (r.error.empty()) {
      LogDebug("metrics pushed to \"" + url + "\"");
    } else {
      LogWarn("metrics push failed: " + r.error, {{"url", url}});
    }
  }
}

}  // namespace payrecon::jobs
