#ifndef SWIFTLET_CZLIB_SHIM_H
#define SWIFTLET_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro in zlib.h; Swift cannot call macros. (Compression is libdeflate's.)
static inline int swiftlet_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
