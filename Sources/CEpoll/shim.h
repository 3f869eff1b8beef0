#ifndef SWIFTLET_CEPOLL_SHIM_H
#define SWIFTLET_CEPOLL_SHIM_H
// Linux's epoll, which the Glibc module leaves out.
#include <pthread.h>
#include <sys/epoll.h>
// glibc's, declared only under _GNU_SOURCE, which would make these headers differ from the Glibc module's.
extern int pthread_setname_np(pthread_t thread, const char *name);
#endif
