/* A stand-in for Windows' bcryptprimitives.dll, installed into the wine prefix of `wslplug run`
 * when the wine in use does not ship one. Every DLL built by Rust 1.78 or later (and Go 1.22 or
 * later) imports ProcessPrng from it; Windows 10 and later have it in System32, wine 8 does not,
 * so without this file such a plugin fails to load under `run` with ERROR_MOD_NOT_FOUND although
 * it loads in WSL.
 *
 * ProcessPrng fills the buffer from the system's random generator. Windows documents it as
 * BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData) that always returns TRUE; here the bytes
 * come from RtlGenRandom (advapi32's SystemFunction036), which wine implements over the host's
 * random source. */
#include <windows.h>
/* After windows.h, which it needs. */
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  /* RtlGenRandom takes a ULONG length: fill larger buffers in pieces. */
  while (size > 0) {
    const ULONG piece = size > 0x40000000u ? 0x40000000u : (ULONG)size;
    if (!RtlGenRandom(data, piece)) return FALSE;
    data += piece;
    size -= piece;
  }
  return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance;
  (void)reason;
  (void)reserved;
  return TRUE;
}
