#include "gateway/store/redis/redis_session_database.h"

#include <algorithm>
#include <chrono>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace streamgate::gateway {
namespace {

// Frames are members of a sorted set: 8 bytes of seq (big-endian) before the text keep two
// frames with equal text distinct and make the set's order the seq order on ties.
std::string FrameMember(const StoredFrame& frame) {
  std::string member(8, '\0');
  for (int i = 0; i < 8; ++i) member[i] = static_cast<char>((frame.seq >> (56 - 8 * i)) & 0xff);
  member += frame.frame;
  return member;
}

bool ParseFrameMember(const std::string& member, StoredFrame* frame) {
  if (member.size() < 8) return false;
  uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) seq = (seq << 8) | static_cast<unsigned char>(member[i]);
  frame->seq = seq;
  frame->frame = member.substr(8);
  return true;
}

template <typename Int>
Int ToInt(const RedisReply& reply) {
  Int value = 0;
  if (reply.type == RedisReply::Type::kInteger) return static_cast<Int>(reply.integer);
  if (!absl::SimpleAtoi(reply.str, &value)) return 0;
  return value;
}

// HGETALL's flat [field, value, ...] as pairs.
std::vector<std::pair<std::string, std::string>> Pairs(const RedisReply& reply) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    pairs.emplace_back(reply.elements[i].str, reply.elements[i + 1].str);
  }
  return pairs;
}

std::string Num(uint64_t value) { return std::to_string(value); }
std::string Num(int64_t value) { return std::to_string(value); }

}  // namespace

RedisSessionDatabase::RedisSessionDatabase(Options options) : options_(std::move(options)) {
  RedisClient::Options client;
  client.address = options_.address;
  client.connect_timeout = options_.timeout;
  client.reply_timeout = options_.timeout;
  client_ = RedisClient::Create(io_, std::move(client));
  client_->Start();
}

RedisSessionDatabase::~RedisSessionDatabase() {
  client_->Stop();
  io_.poll();  // the stopped client's last callbacks
}

std::string RedisSessionDatabase::Key(const std::string& id, const char* what) const {
  return absl::StrCat(options_.key_prefix, ":{", id, "}:", what);
}

std::string RedisSessionDatabase::IdleKey() const {
  return absl::StrCat(options_.key_prefix, ":idle");
}

absl::Status RedisSessionDatabase::WaitUp() {
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(options_.timeout);
  while (!client_->up() && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  if (client_->up()) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("session store ", options_.url, ": Redis not reachable"));
}

absl::StatusOr<std::vector<RedisReply>> RedisSessionDatabase::Exchange(
    std::vector<Command> commands) {
  if (absl::Status up = WaitUp(); !up.ok()) return up;
  // Shared with the callbacks: a reply that comes after the deadline finds it still there.
  struct Exchanged {
    std::vector<std::optional<absl::StatusOr<RedisReply>>> replies;
    size_t answered = 0;
  };
  auto state = std::make_shared<Exchanged>();
  state->replies.resize(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    client_->Command(std::move(commands[i]), [state, i](absl::StatusOr<RedisReply> reply) {
      state->replies[i] = std::move(reply);
      ++state->answered;
    });
  }
  // The client's own reply timeout ends a stuck exchange; this deadline is a second guard.
  const auto deadline =
      std::chrono::steady_clock::now() + 2 * absl::ToChronoNanoseconds(options_.timeout);
  while (state->answered < state->replies.size() && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  if (state->answered < state->replies.size()) {
    return absl::DeadlineExceededError(
        absl::StrCat("session store ", options_.url, ": Redis did not answer"));
  }
  std::vector<RedisReply> replies;
  replies.reserve(state->replies.size());
  for (auto& reply : state->replies) {
    if (!reply->ok()) {
      return absl::Status(reply->status().code(), absl::StrCat("session store ", options_.url, ": ",
                                                               reply->status().message()));
    }
    replies.push_back(**std::move(reply));
  }
  return replies;
}

absl::Status RedisSessionDatabase::Exec(std::vector<Command> writes) {
  writes.insert(writes.begin(), Command{"MULTI"});
  writes.push_back(Command{"EXEC"});
  absl::StatusOr<std::vector<RedisReply>> replies = Exchange(std::move(writes));
  if (!replies.ok()) return replies.status();
  const RedisReply& exec = replies->back();
  if (exec.type != RedisReply::Type::kArray) {
    return absl::InternalError(
        absl::StrCat("session store ", options_.url, ": the group was not applied: ", exec.str));
  }
  for (const RedisReply& one : exec.elements) {
    if (one.is_error()) {
      return absl::InternalError(
          absl::StrCat("session store ", options_.url, ": a write failed: ", one.str));
    }
  }
  return absl::OkStatus();
}

absl::Status RedisSessionDatabase::Commit(const StoreWriteBatch& batch) {
  expired_sessions_ = 0;
  // Round trip 1: what the group's ops merge into (each session's stored loss), and the
  // sessions the idle expiry would take.
  std::vector<std::string> ids;
  std::vector<Command> reads;
  for (const auto& [id, ops] : batch.sessions) {
    ids.push_back(id);
    reads.push_back({"HMGET", Key(id, "s"), "created", "lost_from", "lost_through"});
  }
  if (batch.delete_idle_before.has_value()) {
    reads.push_back(
        {"ZRANGEBYSCORE", IdleKey(), "-inf", absl::StrCat("(", *batch.delete_idle_before)});
  }
  absl::StatusOr<std::vector<RedisReply>> read = Exchange(std::move(reads));
  if (!read.ok()) return read.status();

  auto orphans_before = orphan_losses_;
  std::vector<Command> writes;
  absl::flat_hash_map<std::string, SessionState> states;
  for (size_t i = 0; i < ids.size(); ++i) {
    const RedisReply& row = (*read)[i];
    SessionState& state = states[ids[i]];
    state.exists = row.elements.size() == 3 && row.elements[0].type != RedisReply::Type::kNil;
    if (state.exists) {
      state.loss = ReplayLoss{.from = ToInt<uint64_t>(row.elements[1]),
                              .through = ToInt<uint64_t>(row.elements[2])};
    }
    for (const StoreOp& op : batch.sessions.at(ids[i]).ops) Apply(ids[i], op, state, writes);
  }
  if (batch.delete_idle_before.has_value()) {
    const int64_t cutoff = *batch.delete_idle_before;
    for (auto it = orphan_losses_.begin(); it != orphan_losses_.end();) {
      auto next = std::next(it);
      if (it->second.noted_at_ms < cutoff) orphan_losses_.erase(it);
      it = next;
    }
    // Judged by the group's newest last_seen_ms when it put the session.
    std::vector<std::string> idle;
    for (const RedisReply& id : read->back().elements) {
      auto state = states.find(id.str);
      if (state == states.end() ||
          (state->second.exists &&
           (!state->second.last_seen_ms || *state->second.last_seen_ms < cutoff))) {
        idle.push_back(id.str);
      }
    }
    for (const auto& [id, state] : states) {
      if (state.exists && state.last_seen_ms && *state.last_seen_ms < cutoff &&
          std::find(idle.begin(), idle.end(), id) == idle.end()) {
        idle.push_back(id);
      }
    }
    for (const std::string& id : idle) DeleteAll(id, writes);
    expired_sessions_ = idle.size();
  }
  if (writes.empty()) return absl::OkStatus();
  absl::Status status = Exec(std::move(writes));
  if (!status.ok()) {
    orphan_losses_ = std::move(orphans_before);
    expired_sessions_ = 0;
  }
  return status;
}

void RedisSessionDatabase::Apply(const std::string& id, const StoreOp& op, SessionState& state,
                                 std::vector<Command>& writes) {
  std::visit(
      [&](const auto& one) {
        using Op = std::decay_t<decltype(one)>;
        if constexpr (std::is_same_v<Op, PutSessionOp>) {
          const StoredSession& session = one.session;
          ReplayLoss loss = LossOfPut(session);
          if (state.exists) loss.Add(state.loss);
          if (auto orphan = orphan_losses_.find(id); orphan != orphan_losses_.end()) {
            loss.Add(orphan->second.loss);
            orphan_losses_.erase(orphan);
          }
          writes.push_back({"HSET", Key(id, "s"), "identity", session.identity, "token",
                            session.token_hash, "previous_token", session.previous_token_hash,
                            "created", Num(session.created_at_ms), "seen",
                            Num(session.last_seen_ms), "reserved", Num(session.seq_reserved),
                            "lost_from", Num(loss.from), "lost_through", Num(loss.through)});
          writes.push_back({"ZADD", IdleKey(), Num(session.last_seen_ms), id});
          state.exists = true;
          state.loss = loss;
          state.last_seen_ms = session.last_seen_ms;
        } else if constexpr (std::is_same_v<Op, PutConversationOp>) {
          const StoredConversation& conversation = one.conversation;
          writes.push_back(
              {"HSET", Key(id, "c"), conversation.conversation_id, conversation.history});
          writes.push_back({"HSET", Key(id, "a"), conversation.conversation_id,
                            Num(conversation.last_activity_ms)});
        } else if constexpr (std::is_same_v<Op, DeleteConversationOp>) {
          writes.push_back({"HDEL", Key(id, "c"), one.conversation_id});
          writes.push_back({"HDEL", Key(id, "a"), one.conversation_id});
        } else if constexpr (std::is_same_v<Op, AppendFramesOp>) {
          if (one.frames.empty()) return;
          Command add = {"ZADD", Key(id, "f")};
          for (const StoredFrame& frame : one.frames) {
            add.push_back(Num(frame.seq));
            add.push_back(FrameMember(frame));
          }
          writes.push_back(std::move(add));
        } else if constexpr (std::is_same_v<Op, DropFramesBelowOp>) {
          writes.push_back({"ZREMRANGEBYSCORE", Key(id, "f"), "-inf", absl::StrCat("(", one.seq)});
          if (auto orphan = orphan_losses_.find(id); orphan != orphan_losses_.end()) {
            orphan->second.loss.DropBelow(one.seq);
            if (!orphan->second.loss.any()) orphan_losses_.erase(orphan);
          }
          if (state.exists && state.loss.any()) {
            ReplayLoss loss = state.loss;
            loss.DropBelow(one.seq);
            if (!(loss == state.loss)) WriteLoss(id, loss, writes);
            state.loss = loss;
          }
        } else if constexpr (std::is_same_v<Op, NoteLossOp>) {
          if (!state.exists) {
            auto [it, inserted] = orphan_losses_.try_emplace(id);
            if (inserted) it->second.noted_at_ms = absl::ToUnixMillis(absl::Now());
            it->second.loss.Add(one.loss);
            return;
          }
          ReplayLoss loss = state.loss;
          loss.Add(one.loss);
          if (!(loss == state.loss)) WriteLoss(id, loss, writes);
          state.loss = loss;
        } else if constexpr (std::is_same_v<Op, DeleteSessionOp>) {
          orphan_losses_.erase(id);
          DeleteAll(id, writes);
          state = SessionState{};
        }
      },
      op);
}

void RedisSessionDatabase::WriteLoss(const std::string& id, const ReplayLoss& loss,
                                     std::vector<Command>& writes) {
  writes.push_back(
      {"HSET", Key(id, "s"), "lost_from", Num(loss.from), "lost_through", Num(loss.through)});
}

void RedisSessionDatabase::DeleteAll(const std::string& id, std::vector<Command>& writes) {
  writes.push_back({"DEL", Key(id, "s"), Key(id, "c"), Key(id, "a"), Key(id, "f")});
  writes.push_back({"ZREM", IdleKey(), id});
}

absl::StatusOr<std::optional<SessionSnapshot>> RedisSessionDatabase::Load(
    const std::string& session_id) {
  // One MULTI/EXEC: the four reads see one state even while another gateway writes.
  absl::StatusOr<std::vector<RedisReply>> replies =
      Exchange({{"MULTI"},
                {"HGETALL", Key(session_id, "s")},
                {"HGETALL", Key(session_id, "c")},
                {"HGETALL", Key(session_id, "a")},
                {"ZRANGE", Key(session_id, "f"), "0", "-1"},
                {"EXEC"}});
  if (!replies.ok()) return replies.status();
  const RedisReply& exec = replies->back();
  if (exec.type != RedisReply::Type::kArray || exec.elements.size() != 4) {
    return absl::InternalError(
        absl::StrCat("session store ", options_.url, ": a load was not answered: ", exec.str));
  }
  // A session is a hash with its creation time: a hash left with only a loss mark (written
  // while another gateway deleted the session) is no session.
  const auto& fields = exec.elements[0].elements;
  bool created = false;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) created |= fields[i].str == "created";
  if (!created) return std::optional<SessionSnapshot>();
  SessionSnapshot snapshot;
  StoredSession& session = snapshot.session;
  session.id = session_id;
  for (auto& [field, value] : Pairs(exec.elements[0])) {
    RedisReply as_string{.type = RedisReply::Type::kString, .str = value};
    if (field == "identity") session.identity = value;
    if (field == "token") session.token_hash = value;
    if (field == "previous_token") session.previous_token_hash = value;
    if (field == "created") session.created_at_ms = ToInt<int64_t>(as_string);
    if (field == "seen") session.last_seen_ms = ToInt<int64_t>(as_string);
    if (field == "reserved") session.seq_reserved = ToInt<uint64_t>(as_string);
    if (field == "lost_from") session.replay_lost_from = ToInt<uint64_t>(as_string);
  }
  absl::flat_hash_map<std::string, int64_t> activity;
  for (auto& [conversation, at] : Pairs(exec.elements[2])) {
    activity[conversation] =
        ToInt<int64_t>(RedisReply{.type = RedisReply::Type::kString, .str = at});
  }
  for (auto& [conversation, history] : Pairs(exec.elements[1])) {
    snapshot.conversations.push_back(
        StoredConversation{.session_id = session_id,
                           .conversation_id = conversation,
                           .history = history,
                           .last_activity_ms = activity[conversation]});
  }
  std::sort(snapshot.conversations.begin(), snapshot.conversations.end(),
            [](const StoredConversation& a, const StoredConversation& b) {
              return a.conversation_id < b.conversation_id;
            });
  for (const RedisReply& member : exec.elements[3].elements) {
    StoredFrame frame;
    if (!ParseFrameMember(member.str, &frame)) {
      return absl::DataLossError(
          absl::StrCat("session store ", options_.url, ": a stored frame does not decode"));
    }
    if (!snapshot.replay.empty() && frame.seq <= snapshot.replay.back().seq) continue;
    snapshot.replay.push_back(std::move(frame));
  }
  return std::optional<SessionSnapshot>(std::move(snapshot));
}

}  // namespace streamgate::gateway
