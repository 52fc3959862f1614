#include "jobs/build_info.h"

namespace payrecon::jobs {

const char* BuildVersion() { return PAYRECON_BUILD_VERSION; }
const char* BuildCommit() { return PAYRECON_BUILD_COMMIT; }

}  // namespace payrecon::jobs
