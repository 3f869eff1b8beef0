#ifndef SWIFTLET_CZLIB_SHIM_H
#define SWIFTLET_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 and deflateInit2 are macros in zlib.h; Swift cannot call macros.
static inline int swiftlet_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int swiftlet_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                        int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
#endif
