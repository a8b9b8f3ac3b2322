// The build's identity: the release version (CMakeLists.txt's project VERSION) and the git
// commit it was built from, for `--version`, /v1/node, /metrics and the web app's footer.
// The commit is read at build time (core/base/version.cmake); "unknown" outside a git checkout
// (a source tarball), with "-dirty" when the tree had uncommitted changes.
// Thread-safety: constants, safe from any thread.
#pragma once

#include <string_view>

namespace hoso {

std::string_view HosoVersion();    // "0.1.0"
std::string_view HosoGitCommit();  // "17a7de7", "17a7de7-dirty" or "unknown"

}  // namespace hoso
