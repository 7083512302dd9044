/*
 * tests/fuzz/fuzz_client_hello.c - libFuzzer target: the bytes are a TLS
 * ClientHello handshake message (with or without its 4-byte header), as the
 * acceptor's handshake hook sees it before GnuTLS does.  The version it
 * reports decides whether the client gets a protocol_version alert, so it must
 * never read outside the message, and must be a 16-bit version or 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/acceptor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan sees any read past the message. */
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    unsigned v = acceptor_offered_tls_version(copy, size);
    if (v > 0xffff)
        abort();
    if (size < 35 && v != 0)
        abort(); /* too short for a ClientHello body: no answer */
    free(copy);
    return 0;
}
