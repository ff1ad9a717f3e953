#include "gateway/store/redis/redis_client.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/log.h"

namespace streamgate::gateway {
namespace {

using Clock = std::chrono::steady_clock;

// What a command's callback needs when hiredis answers it (privdata of the command).
struct Pending {
  RedisClient* client;
  RedisClient::Callback done;
};

RedisReply Convert(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i)
        out.elements.push_back(Convert(*reply.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

std::chrono::nanoseconds Chrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

}  // namespace

std::shared_ptr<RedisClient> RedisClient::Create(boost::asio::io_context& io, Options options,
                                                 StateCallback on_state) {
  return std::shared_ptr<RedisClient>(new RedisClient(io, std::move(options), std::move(on_state)));
}

RedisClient::RedisClient(boost::asio::io_context& io, Options options, StateCallback on_state)
    : io_(io),
      options_(std::move(options)),
      on_state_(std::move(on_state)),
      reconnect_timer_(io),
      watchdog_(io),
      reconnect_delay_(options_.reconnect_min) {}

RedisClient::~RedisClient() {
  stopped_ = true;
  on_state_ = nullptr;
  if (context_ != nullptr) redisAsyncFree(context_);
}

void RedisClient::Start() {
  if (!stopped_) return;
  stopped_ = false;
  Connect();
}

void RedisClient::Stop() {
  stopped_ = true;
  reconnect_timer_.cancel();
  watchdog_.cancel();
  if (context_ != nullptr) redisAsyncFree(context_);  // deferred by hiredis inside a callback
}

void RedisClient::Connect() {
  if (stopped_ || context_ != nullptr) return;
  const RedisAddress& address = options_.address;
  redisAsyncContext* context = redisAsyncConnect(address.host.c_str(), address.port);
  if (context == nullptr || context->err != 0) {
    common::Logger("redis")->debug("redis connect failed host={} port={} error=\"{}\"",
                                   address.host, address.port,
                                   context != nullptr ? context->errstr : "out of memory");
    if (context != nullptr) redisAsyncFree(context);
    return ScheduleReconnect();
  }
  context_ = context;
  context_->data = this;
  context_->ev.data = this;
  context_->ev.addRead = &RedisClient::AddRead;
  context_->ev.delRead = &RedisClient::DelRead;
  context_->ev.addWrite = &RedisClient::AddWrite;
  context_->ev.delWrite = &RedisClient::DelWrite;
  context_->ev.cleanup = &RedisClient::Cleanup;
  socket_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, context_->c.fd);
  connect_started_ = Clock::now();
  // hiredis learns the connect's outcome from the first writable event (this adds it).
  redisAsyncSetConnectCallback(context_, &RedisClient::OnConnect);
  ArmWatchdog();
}

void RedisClient::ScheduleReconnect() {
  if (stopped_) return;
  reconnect_timer_.expires_after(Chrono(reconnect_delay_));
  reconnect_delay_ = std::min(reconnect_delay_ * 2, options_.reconnect_max);
  reconnect_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || self == nullptr) return;
    self->Connect();
  });
}

void RedisClient::Drop(const char* why) {
  if (context_ == nullptr) return;
  common::Logger("redis")->warn("redis connection dropped host={} port={} reason=\"{}\" pending={}",
                                options_.address.host, options_.address.port, why, sent_at_.size());
  redisAsyncFree(context_);
}

void RedisClient::SetUp(bool up) {
  if (up_ == up) return;
  up_ = up;
  common::Logger("redis")->info("redis {} host={} port={} db={}", up ? "up" : "down",
                                options_.address.host, options_.address.port, options_.address.db);
  if (on_state_) on_state_(up);
}

void RedisClient::Command(std::vector<std::string> argv, Callback done) {
  if (!up_ || context_ == nullptr) {
    return FailLater(std::move(done), absl::UnavailableError("Redis is not connected"));
  }
  if (sent_at_.size() >= options_.max_pending) {
    return FailLater(std::move(done),
                     absl::ResourceExhaustedError("too many Redis commands unanswered"));
  }
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* pending = new Pending{this, std::move(done)};
  if (redisAsyncCommandArgv(context_, &RedisClient::OnReply, pending, static_cast<int>(args.size()),
                            args.data(), lengths.data()) != REDIS_OK) {
    Callback failed = std::move(pending->done);
    delete pending;
    return FailLater(std::move(failed), absl::UnavailableError("Redis is not connected"));
  }
  sent_at_.push_back(Clock::now());
}

void RedisClient::FailLater(Callback done, absl::Status status) {
  // Never inside the caller's own call: it may hold state a callback would change.
  boost::asio::post(io_, [done = std::move(done), status = std::move(status)]() mutable {
    done(std::move(status));
  });
}

void RedisClient::ArmRead() { ArmWait(/*write=*/false); }

void RedisClient::ArmWrite() { ArmWait(/*write=*/true); }

// One wait per direction at most; hiredis reads or writes when the socket is ready, and the
// wait is armed again while hiredis still wants that direction.
void RedisClient::ArmWait(bool write) {
  bool& wanted = write ? want_write_ : want_read_;
  bool& waiting = write ? writing_ : reading_;
  if (!wanted || waiting || socket_ == nullptr) return;
  waiting = true;
  socket_->async_wait(
      write ? boost::asio::posix::stream_descriptor::wait_write
            : boost::asio::posix::stream_descriptor::wait_read,
      [self = shared_from_this(), gen = generation_, write](boost::system::error_code ec) {
        if (gen != self->generation_) return;
        (write ? self->writing_ : self->reading_) = false;
        if (ec || !(write ? self->want_write_ : self->want_read_)) return;
        if (write) {
          redisAsyncHandleWrite(self->context_);
        } else {
          redisAsyncHandleRead(self->context_);
        }
        if (gen == self->generation_) self->ArmWait(write);
      });
}

void RedisClient::ArmWatchdog() {
  if (watching_) return;
  watching_ = true;
  auto tick = std::max(absl::Milliseconds(10),
                       std::min(options_.connect_timeout, options_.reply_timeout) / 4);
  watchdog_.expires_after(Chrono(tick));
  watchdog_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (self == nullptr) return;
    self->watching_ = false;
    if (ec || self->context_ == nullptr) return;
    const auto now = Clock::now();
    if (!self->up_ && now - self->connect_started_ > Chrono(self->options_.connect_timeout)) {
      return self->Drop("not connected within the connect timeout");
    }
    if (!self->sent_at_.empty() &&
        now - self->sent_at_.front() > Chrono(self->options_.reply_timeout)) {
      return self->Drop("no reply within the reply timeout");
    }
    self->ArmWatchdog();
  });
}

void RedisClient::AddRead(void* self) {
  auto* client = static_cast<RedisClient*>(self);
  client->want_read_ = true;
  client->ArmRead();
}

void RedisClient::DelRead(void* self) { static_cast<RedisClient*>(self)->want_read_ = false; }

void RedisClient::AddWrite(void* self) {
  auto* client = static_cast<RedisClient*>(self);
  client->want_write_ = true;
  client->ArmWrite();
}

void RedisClient::DelWrite(void* self) { static_cast<RedisClient*>(self)->want_write_ = false; }

// hiredis is freeing the context (after failing what was pending): forget it, and come back.
void RedisClient::Cleanup(void* self) {
  auto* client = static_cast<RedisClient*>(self);
  ++client->generation_;
  if (client->socket_ != nullptr) {
    client->socket_->release();  // cancels the waits; the descriptor is hiredis's to close
    client->socket_.reset();
  }
  client->context_ = nullptr;
  client->want_read_ = client->want_write_ = client->reading_ = client->writing_ = false;
  client->sent_at_.clear();
  client->SetUp(false);
  // Posted: hiredis is still unwinding the context.
  boost::asio::post(client->io_, [weak = client->weak_from_this()] {
    if (auto locked = weak.lock()) locked->ScheduleReconnect();
  });
}

void RedisClient::OnConnect(const redisAsyncContext* context, int status) {
  auto* client = static_cast<RedisClient*>(context->data);
  if (status != REDIS_OK) {
    // hiredis frees the context next; Cleanup schedules the retry.
    common::Logger("redis")->debug("redis connect failed host={} port={} error=\"{}\"",
                                   client->options_.address.host, client->options_.address.port,
                                   context->errstr);
    return;
  }
  // Up means Redis answered, not that the kernel accepted: a stopped Redis still completes
  // the TCP handshake. SELECT (or PING for db 0) goes before anyone else's command.
  const std::string db = std::to_string(client->options_.address.db);
  const bool select = client->options_.address.db != 0;
  const char* args[] = {select ? "SELECT" : "PING", db.c_str()};
  const size_t lengths[] = {select ? size_t{6} : size_t{4}, db.size()};
  auto* pending = new Pending{client, [client](absl::StatusOr<RedisReply> reply) {
                                if (!reply.ok()) return;  // the connection went meanwhile
                                if (reply->is_error())
                                  return client->Drop("SELECT or PING refused");
                                client->reconnect_delay_ = client->options_.reconnect_min;
                                client->SetUp(true);
                              }};
  if (redisAsyncCommandArgv(client->context_, &RedisClient::OnReply, pending, select ? 2 : 1, args,
                            lengths) != REDIS_OK) {
    delete pending;
    return client->Drop("could not send SELECT or PING");
  }
  client->sent_at_.push_back(Clock::now());
}

void RedisClient::OnReply(redisAsyncContext* /*context*/, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisClient* client = pending->client;
  if (!client->sent_at_.empty()) client->sent_at_.pop_front();
  if (reply == nullptr) {
    pending->done(client->stopped_ ? absl::CancelledError("the Redis client stopped")
                                   : absl::UnavailableError("the connection to Redis was lost"));
    return;
  }
  pending->done(Convert(*static_cast<const redisReply*>(reply)));
}

}  // namespace streamgate::gateway
