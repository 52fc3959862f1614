#pragma once
// What this binary was built from, for `payrecon_build_info` and `payrecon version`.

namespace payrecon::jobs {

// The project version from CMakeLists.txt, e.g. "0.1.0".
const char* BuildVersion();
// The git commit (12 hex digits) at configure time, or the -DPAYRECON_GIT_COMMIT given to cmake (the image build
// passes it, its context has no .git); "unknown" when neither is known.
const char* BuildCommit();

}  // namespace payrecon::jobs
