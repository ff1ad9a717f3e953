#include "llm-service/request_decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "llm-service/request_validator.h"

namespace streamgate::llm {
namespace {

namespace pb = google::protobuf;

// Walks `fields` (the wire form of a `type` message, read without any UTF-8 check) and
// returns the path of the first string field that is not UTF-8, or "" when there is none.
// Follows the schema, so a field added to the proto is covered without a change here.
std::string FirstInvalidUtf8(const pb::UnknownFieldSet& fields, const pb::Descriptor& type,
                             const std::string& prefix) {
  std::map<int, int> seen;  // field number -> occurrences so far (the repeated index)
  for (int i = 0; i < fields.field_count(); ++i) {
    const pb::UnknownField& wire = fields.field(i);
    const int index = seen[wire.number()]++;
    const pb::FieldDescriptor* field = type.FindFieldByNumber(wire.number());
    if (field == nullptr || wire.type() != pb::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    std::string path = absl::StrCat(prefix, field->name());
    if (field->is_repeated()) absl::StrAppend(&path, "[", index, "]");
    if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (!IsValidUtf8(wire.length_delimited())) return path;
    } else if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      pb::UnknownFieldSet nested;
      if (!nested.ParseFromString(wire.length_delimited())) continue;
      std::string found = FirstInvalidUtf8(nested, *field->message_type(), path + ".");
      if (!found.empty()) return found;
    }
  }
  return "";
}

// Why `wire` is no StreamChatRequest: the first string that is not UTF-8, or not one at all.
absl::Status WhyNotARequest(std::string_view wire) {
  pb::UnknownFieldSet fields;
  if (fields.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    std::string path = FirstInvalidUtf8(fields, *v1::StreamChatRequest::descriptor(), "");
    if (!path.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": not valid UTF-8"));
  }
  return absl::InvalidArgumentError("request: not a valid serialized StreamChatRequest");
}

}  // namespace

absl::Status DecodeRequest(const grpc::ByteBuffer& bytes, v1::StreamChatRequest* request) {
  // Copies share the slices; each reader consumes its own copy.
  grpc::ByteBuffer copy(bytes);
  {
    grpc::ProtoBufferReader reader(&copy);
    if (request->ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  }
  std::vector<grpc::Slice> slices;
  std::string wire;
  if (bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      wire.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return WhyNotARequest(wire);
}

absl::Status DecodeRequest(std::string_view wire, v1::StreamChatRequest* request) {
  if (request->ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    return absl::OkStatus();
  }
  return WhyNotARequest(wire);
}

}  // namespace streamgate::llm
