// The result tree every RPC method builds and every front end serialises its own way (binrpc
// records, JSON): null, integers, doubles, strings, arrays and structs (ordered name/value
// pairs, as Kamailio's RPC structs are). It lives in the control process's private heap and is
// built once per request, so plain std containers are fine here. It is also what the JSON
// reader produces, which is why it depends on nothing but the standard library.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace osprey::rpc {

class Value {
public:
    enum class Type : uint8_t { Null, Int, Double, String, Array, Struct };
    using Member = std::pair<std::string, Value>;

    Value() = default;
    Value(int64_t i) : type_(Type::Int), int_(i) {}
    Value(int i) : type_(Type::Int), int_(i) {}
    Value(unsigned i) : type_(Type::Int), int_(i) {}
    Value(uint64_t i) : type_(Type::Int), int_(static_cast<int64_t>(i)) {}
    Value(long long i) : type_(Type::Int), int_(static_cast<int64_t>(i)) {}
    Value(double d) : type_(Type::Double), double_(d) {}
    Value(std::string s) : type_(Type::String), str_(std::move(s)) {}
    Value(std::string_view s) : type_(Type::String), str_(s) {}
    Value(const char* s) : type_(Type::String), str_(s) {}

    static Value array() { return Value(Type::Array); }
    static Value structure() { return Value(Type::Struct); }

    Type type() const { return type_; }
    bool isNull() const { return type_ == Type::Null; }
    bool isInt() const { return type_ == Type::Int; }
    bool isDouble() const { return type_ == Type::Double; }
    bool isString() const { return type_ == Type::String; }
    bool isArray() const { return type_ == Type::Array; }
    bool isStruct() const { return type_ == Type::Struct; }

    int64_t asInt() const { return int_; }
    double asDouble() const { return type_ == Type::Int ? static_cast<double>(int_) : double_; }
    const std::string& asString() const { return str_; }

    // Array elements.
    const std::vector<Value>& items() const { return items_; }
    std::vector<Value>& items() { return items_; }
    Value& push(Value v) {
        items_.push_back(std::move(v));
        return items_.back();
    }
    // Struct members, in insertion order (names may repeat, as in Kamailio's structs).
    const std::vector<Member>& members() const { return members_; }
    std::vector<Member>& members() { return members_; }
    Value& add(std::string name, Value v) {
        members_.emplace_back(std::move(name), std::move(v));
        return members_.back().second;
    }
    // The first member with this name, or nullptr (also when this is not a struct).
    const Value* find(std::string_view name) const;

    static const char* typeName(Type t);  // "null", "integer", "double", "string", ...

private:
    explicit Value(Type t) : type_(t) {}

    Type type_ = Type::Null;
    int64_t int_ = 0;
    double double_ = 0;
    std::string str_;
    std::vector<Value> items_;
    std::vector<Member> members_;
};

}  // namespace osprey::rpc
