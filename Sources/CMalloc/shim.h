#ifndef SWIFTLET_CMALLOC_SHIM_H
#define SWIFTLET_CMALLOC_SHIM_H
// glibc's allocator controls (mallopt, malloc_trim, mallinfo2), which the Glibc module leaves out.
#include <malloc.h>
#endif
