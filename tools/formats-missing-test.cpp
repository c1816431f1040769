// The engine built without libbz2, liblzma, libzstd and libarchive (as on a
// machine that lacks them): such files are input errors naming the format
// and the package to install; gzip and plain files work as ever. Built by
// `make core-test` without the decompression flags configure finds.
#include <string>

#include "core/check.h"
#include "core/task_loop.h"

using namespace parairline;
using namespace core_check;

int main() {
  const TempDir dir("parairline-formats-missing");
  const std::pair<std::string, std::string> files[] = {
      {"a.csv.bz2", std::string("BZh91AY&SY") + std::string(40, 'x')},
      {"a.csv.xz", std::string("\xFD" "7zXZ", 5) + std::string(1, '\0') + std::string(40, 'x')},
      {"a.csv.zst", std::string("\x28\xB5\x2F\xFD", 4) + std::string(40, 'x')},
      {"a.zip", std::string("PK\x03\x04", 4) + std::string(40, 'x')}};
  const char* packages[] = {"libbz2-dev", "liblzma-dev", "libzstd-dev", "libarchive-dev"};
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string path = dir.file(files[i].first);
    write_or_exit(path, files[i].second);
    Plan plan;
    const CoreError e = make_plan({path}, "K", "V", 1 << 20, plan);
    CHECK(e.kind == CoreError::Kind::input && e.file == path, files[i].first + " is an input error");
    CHECK(e.message.find(packages[i]) != std::string::npos, files[i].first + " names " + packages[i] + ": " + e.message);
  }
  const std::string gz = dir.file("ok.csv.gz"), plain = dir.file("ok.csv");
  write_or_exit(gz, "K,V\nA,1\n", true);
  write_or_exit(plain, "K,V\nA,1\n");
  Plan plan;
  CHECK(!make_plan({gz, plain}, "K", "V", 1 << 20, plan) && plan.files.size() == 2, "gzip and plain files still plan");
  return report();
}
