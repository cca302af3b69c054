// A scratch directory for one test, removed with everything in it when the object goes.
#pragma once
#include <string>

#include "test/support/read_file.h"

namespace osprey::testsupport {

class TempDir {
public:
    TempDir();  // under $TMPDIR (or /tmp), named osprey-test-XXXXXX
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    // Writes `content` to path()/name (creating subdirectories); returns the full path.
    std::string write(const std::string& name, const std::string& content) const;
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

bool fileExists(const std::string& path);

}  // namespace osprey::testsupport
