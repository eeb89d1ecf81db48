#include "actors/alert_smtp.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

namespace cairn {

namespace {

/// The message being uploaded, read by libcurl in chunks.
struct upload {
  const std::string* text;
  size_t offset = 0;
};

size_t read_chunk(char* buffer, size_t size, size_t count, void* user) {
  auto& u = *static_cast<upload*>(user);
  size_t n = std::min(size * count, u.text->size() - u.offset);
  std::memcpy(buffer, u.text->data() + u.offset, n);
  u.offset += n;
  return n;
}

struct easy_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

} // namespace

webhook_result send_mail(const email_output& o, const std::string& password,
                         const std::string& message, std::chrono::milliseconds timeout) {
  // Global init once per process, before the first handle (curl's own
  // lazy init is not guaranteed thread-safe on every build).
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, easy_deleter> curl{curl_easy_init()};
  if (!curl)
    return {0, "smtp: cannot create a curl handle"};
  auto* c = curl.get();
  auto url = std::string{o.tls == smtp_tls::implicit ? "smtps://" : "smtp://"} + o.host + ":" +
             std::to_string(o.port);
  std::unique_ptr<curl_slist, slist_deleter> rcpt;
  for (const auto& to : o.to)
    rcpt.reset(curl_slist_append(rcpt.release(), ("<" + to + ">").c_str()));
  upload body{&message};
  char error[CURL_ERROR_SIZE] = {0};
  auto from = "<" + o.from + ">";
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &body);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); // no SIGALRM in a threaded server
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (o.tls == smtp_tls::starttls)
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!o.ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  if (!o.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  auto rc = curl_easy_perform(c);
  webhook_result result;
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  result.status = static_cast<int>(code);
  if (rc != CURLE_OK)
    result.error = std::string{"smtp: "} + (error[0] ? error : curl_easy_strerror(rc));
  return result;
}

} // namespace cairn
