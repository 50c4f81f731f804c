// safetensors: a hand-built file (bytes written here, independently of the writer), round trips
// in F32/F16, and every validation error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "nn/safetensors.h"
#include "test_util.h"
#include "timbrel/error.h"

using namespace timbrel;
using ::testing::HasSubstr;

namespace {

std::string file_with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char(n >> (8 * i) & 0xff);
  return out + header + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

std::string parse_error(const std::string& bytes) {
  try {
    nn::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.safetensors");
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "x.safetensors");
    return e.problem();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Safetensors, ParsesHandBuiltFile) {
  // F16 1.0 = 0x3c00, -2.0 = 0xc000 (little endian).
  std::string data = floats({1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f}) + std::string("\x00\x3c\x00\xc0", 4);
  std::string header = R"({"__metadata__":{"format":"pt"},"a.w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                       R"("b":{"dtype":"F16","shape":[2],"data_offsets":[24,28]}})";
  std::string bytes = file_with_header(header, data);
  auto st = nn::parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x");
  ASSERT_EQ(st.tensors.size(), 2u);
  EXPECT_EQ(st.metadata.at("format"), "pt");
  auto a = st.tensors.at("a.w");
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.scalar_type(), torch::kFloat);
  EXPECT_FLOAT_EQ(a[0][0].item<float>(), 1.5f);
  EXPECT_FLOAT_EQ(a[1][2].item<float>(), 8.0f);
  auto b = st.tensors.at("b").to(torch::kFloat);
  EXPECT_FLOAT_EQ(b[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(b[1].item<float>(), -2.0f);
}

TEST(Safetensors, RoundTripF32ExactF16Close) {
  nn::TensorMap m{{"enc.kernel", torch::randn({5, 7})}, {"dec.bias", torch::randn({3})},
                  {"steps", torch::arange(4, torch::kLong)}};
  std::string dir = test::temp_dir();
  nn::write_safetensors(dir + "/a.safetensors", m, {{"k", "v"}});
  auto back = nn::read_safetensors(dir + "/a.safetensors");
  EXPECT_EQ(back.metadata.at("k"), "v");
  for (const auto& [k, t] : m) EXPECT_TRUE(torch::equal(back.tensors.at(k), t)) << k;
  nn::write_safetensors(dir + "/h.safetensors", m, {}, torch::kHalf);
  auto half = nn::read_safetensors(dir + "/h.safetensors");
  EXPECT_EQ(half.tensors.at("enc.kernel").scalar_type(), torch::kHalf);
  EXPECT_EQ(half.tensors.at("steps").scalar_type(), torch::kLong);
  // float16 keeps 11 significant bits: relative error <= 2^-11.
  auto err = (half.tensors.at("enc.kernel").to(torch::kFloat) - m.at("enc.kernel")).abs() /
             m.at("enc.kernel").abs().clamp_min(1e-3);
  EXPECT_LE(err.max().item<float>(), 1.0f / 2048 + 1e-6);
  // Header is 8-byte aligned, so the data starts aligned.
  std::string raw = test::read_text(dir + "/a.safetensors");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | uint8_t(raw[size_t(i)]);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::string d = floats({1, 2});
  EXPECT_THAT(parse_error("abc"), HasSubstr("shorter than the 8-byte"));
  EXPECT_THAT(parse_error(std::string("\xff\xff\xff\xff\0\0\0\0", 8) + "{}"), HasSubstr("exceeds the file"));
  EXPECT_THAT(parse_error(file_with_header("{nope", "")), HasSubstr("not valid JSON"));
  EXPECT_THAT(parse_error(file_with_header("[1]", "")), HasSubstr("not a JSON object"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", d)),
              HasSubstr("tensor 'w': unsupported dtype Q4"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d)),
              HasSubstr("tensor 'w': 8 bytes for 3 elements"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", d)),
              HasSubstr("outside the data"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", d)),
              HasSubstr("negative dimension"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[2]}})", d)), HasSubstr("data_offsets"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d)),
              HasSubstr("gap"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d)),
              HasSubstr("trailing bytes"));
  EXPECT_THAT(parse_error(file_with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d)),
              HasSubstr("overlaps"));
  EXPECT_THAT(parse_error(file_with_header(R"({"__metadata__":{"a":1}})", "")), HasSubstr("not a string"));
  // A header that claims a 100 GB tensor (and overflowing products) fails on the numbers, before
  // any allocation: the file holds 8 bytes.
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[25000000000],"data_offsets":[0,100000000000]}})", d)),
              HasSubstr("outside the data"));
  EXPECT_THAT(parse_error(file_with_header(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,8]}})", d)),
              HasSubstr("tensor 'w'"));
}

TEST(Safetensors, OversizedFileIsRefusedByItsSize) {
  // A (sparse) 9 GB weights file: refused by its size before anything is read or allocated.
  const std::string path = test::temp_dir() + "/weights.safetensors";
  {
    std::ofstream out(path, std::ios::binary);
    out << file_with_header("{}", "");
  }
  ASSERT_EQ(::truncate(path.c_str(), off_t(9) << 30), 0);
  try {
    nn::read_safetensors(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), path);
    EXPECT_THAT(e.problem(), HasSubstr("file is 9663676416 bytes, larger than the 8589934592"));
  }
}

TEST(Safetensors, MissingFileNamesIt) {
  try {
    nn::read_safetensors("/nonexistent/w.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "/nonexistent/w.safetensors");
  }
}

// Every float type weights come in: an inf, -inf or NaN anywhere is refused and named; the
// largest finite values are not.
TEST(Safetensors, RequireFiniteReadsEveryFloatType) {
  for (const auto type : {torch::kFloat, torch::kHalf, torch::kBFloat16, torch::kDouble}) {
    const torch::Tensor ok = torch::full({37}, type == torch::kHalf ? 65504.0 : 1e30, torch::TensorOptions().dtype(type));
    EXPECT_NO_THROW(nn::require_finite({{"w", ok}}, "m.safetensors")) << type;
    for (const double bad : {double(INFINITY), -double(INFINITY), double(NAN)})
      for (const int64_t at : {0, 17, 36}) {
        torch::Tensor t = ok.clone();
        t[at] = bad;
        try {
          nn::require_finite({{"ok", ok}, {"w", t}}, "m.safetensors");
          ADD_FAILURE() << type << " " << bad << " at " << at << " passed";
        } catch (const Error& e) {
          EXPECT_EQ(e.subject(), "m.safetensors");
          EXPECT_THAT(e.what(), HasSubstr("tensor 'w' has NaN or infinite values"));
        }
      }
  }
}

}  // namespace
