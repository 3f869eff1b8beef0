#ifndef SWIFTLET_CSSLLOADER_H
#define SWIFTLET_CSSLLOADER_H

/// Loads libssl.so.3 (and with it libcrypto.so.3) on first use; returns 1 when loaded, else 0
/// with the loader's reason in `error`. Every OpenSSL function Swiftlet calls goes through a
/// forwarder that loads the library, so a process that never uses TLS never maps it.
int swiftlet_ssl_load(char *error, unsigned long length);

/// 1 once libssl.so.3 is loaded.
int swiftlet_ssl_loaded(void);

#endif
