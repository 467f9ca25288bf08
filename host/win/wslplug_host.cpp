// wslplug-host.exe: a WSL plugin host for `wslplug run`. It loads a plugin DLL the way the WSL
// service does, calls its hooks when the driver (the wslplug_host library) asks, implements the
// plugin API with WSL's rules, and reports facts: HRESULTs, API calls with their arguments and
// results, exceptions, and accesses past the end of every table and struct it hands the plugin.
// It never decides a verdict.
//
// The struct layouts (wslplug_host_abi.h) are written from the ABI facts (field order and the WSL
// version that added each field), independently of any plugin header.
//
// Usage: wslplug-host.exe (no arguments: everything comes over stdin, so nothing of the run is
// in the process's command line, which every local user can read)
//
// Protocol (version 1). Lines of space-separated tokens, UTF-8, '\n'-terminated. A string token
// is "~" for NULL or "=" followed by the bytes percent-encoded (%XX for every byte outside
// [A-Za-z0-9._/:-]), so "=" alone is the empty string. Numbers are decimal, HRESULTs 0x%08X.
// Driver -> host, on the host's stdin:
//   channel PORT SECRET            the driver's loopback TCP port for the requests below, and the
//                                  run's secret that every request starts with (the driver
//                                  refuses and reports a connection without it)
//   load SESSION X.Y.Z PATH        load the plugin (PATH: Windows path) for WSL X.Y.Z; the
//                                  session id the hooks will carry is SESSION
//   call SEQ OnVMStarted FLAGS
//   call SEQ OnVMStopping
//   call SEQ OnDistributionStarted|OnDistributionStopping GUID NAME PIDNS PFN INITPID FLAV VER
//   call SEQ OnDistributionRegistered|OnDistributionUnregistered GUID NAME PFN FLAVOR VERSION
//   call SEQ OnSessionCreated|OnSessionStopping|WslcVmStarted|WslcVmStopping ID NAME APPPID
//   call SEQ ContainerStarted|ContainerStopping|ImageCreated|ImageDeleted ID NAME APPPID ARG
//                                  every `call` runs on the main thread (hook thread 0) and is
//                                  finished before the next command is read
//   call-on THREAD SEQ HOOK ARGS...
//                                  the same call on service thread THREAD (1..8), as WSL's
//                                  service threads call hooks; the next command is read at once,
//                                  so calls on different threads run at the same time (calls
//                                  queued on one thread run in order). Per hook thread: the
//                                  running SEQ, PluginError's rules and the structs handed over.
//   wslc-state SESSION VM          the WSLC session that exists (0: none), its VM running (1/0)
//   threads                        count the threads the plugin started
//   quit                           end the process (WSL never unloads a plugin: no FreeLibrary)
// Host -> driver, on a private duplicate of the host's stdout (the process's stdout is redirected
// to stderr before the plugin loads, so a plugin that prints cannot corrupt the protocol):
//   ready 1 PID
//   load STEP HRESULT MICROS       STEP: LoadLibrary | GetProcAddress | EntryPoint (last reached)
//   hooks I,J,...|-                indices of the hook slots the entry point set
//   begin SEQ HOOK T THREAD        T: microseconds since the host started; THREAD: the hook
//                                  thread (0: main, 1..8: service threads)
//   end SEQ HOOK HRESULT MICROS
//   api CID SEQ THREAD NAME HRESULT T KEY=VALUE...   one plugin API call (SEQ 0: no hook ran;
//                                  -1: the entry point; from a thread of the plugin: the hook
//                                  begun last of those running); THREAD: hook (a hook thread,
//                                  SEQ its own hook) | worker | entry-point;
//                                  VALUE is a string token or a raw number; "arg" repeats
//   crash CODE ADDRESS MODULE OFFSET ACCESS FAULT THREAD SEQ
//   guard REGION KIND OFFSET ACCESS THREAD SEQ MODULE MODOFFSET
//                                  KIND: past-end | expired | read-only
//   threads N
//   error TEXT                     a malformed command (a driver bug)
//   bye
// After "crash" or "guard" the host terminates itself with exit code 199.
// Requests: the host connects to 127.0.0.1:PORT and sends one line "SECRET VERB ...":
//   exec CID KIND GUID PATH ARG...     KIND: vm | distribution; GUID "-" for vm. Reply "ok" (the
//                                      socket now carries the process's stdin and stdout: it is
//                                      handed to the plugin) or "fail HRESULT".
//   exec CID wslc - PATH ARG... [+ ENV...]   WSLCCreateProcess; reply "ok" or "fail HRESULT
//                                      ERRNO"; the host keeps that socket (stdin raw to the
//                                      driver; stdout, stderr and the exit code back in frames,
//                                      see WslcProcess) and gives the plugin pipe handles.
//   mount CID KIND UNIXPATH LINUXPATH RO   MountFolder (KIND vm) / WSLCMountFolder (KIND wslc):
//                                      UNIXPATH is the folder as this process sees it (wine's
//                                      mapping; "~" outside wine). Reply "ok" or "fail HRESULT".
//   unmount CID LINUXPATH              WSLCUnmountFolder; reply "ok" or "fail HRESULT".
#include <winsock2.h>
#include <ws2tcpip.h>
// winsock2.h must come before windows.h
#include <fcntl.h>
#include <io.h>
#include <tlhelp32.h>
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "../protocol/host_protocol.hpp"
#include "wslplug_host_abi.h"

namespace {

constexpr HRESULT kIllegalMethodCall = static_cast<HRESULT>(0x8000000EL);
constexpr HRESULT kIllegalStateChange = static_cast<HRESULT>(0x8000000DL);
constexpr HRESULT kWslcVmNotRunning = static_cast<HRESULT>(0x80040610L);
constexpr HRESULT kRpcDisconnected = static_cast<HRESULT>(0x80010108L);
constexpr UINT kCrashExit = 199;
constexpr std::size_t kPage = 4096;

// ---------------------------------------------------------------- the ABI (x64 layout)
using namespace wslplug_host_abi;
// Sizes by version come from the ABI's one statement (wslplug_host_abi.h checks the layouts).
size_t ApiSize(const HostVersion& v) { return WSLPLUG_HOST_ABI_SIZE(WSLPluginAPIV1, v); }
int HookCount(const HostVersion& v) {
  return static_cast<int>(WSLPLUG_HOST_ABI_SIZE(WSLPluginHooksV1, v) / sizeof(void*));
}
size_t DistributionSize(const HostVersion& v) {
  return WSLPLUG_HOST_ABI_SIZE(WSLDistributionInformation, v);
}
size_t OfflineSize(const HostVersion& v) {
  return WSLPLUG_HOST_ABI_SIZE(WslOfflineDistributionInformation, v);
}

// ---------------------------------------------------------------- guarded memory
// DATA pages followed by one PAGE_NOACCESS page; the struct is placed so that it ends exactly at
// the guard page. Strings handed with a struct live at the start of its data pages, so expiring
// the region (PAGE_NOACCESS after the call) also catches reads of the strings.
struct Region {
  const char* name = "";
  BYTE* data = nullptr;
  size_t data_size = 0;
  BYTE* base = nullptr;  // the struct
  size_t size = 0;
  bool read_only = false;
  std::atomic<bool> expired{false};

  bool Allocate(const char* region_name, size_t pages) {
    name = region_name;
    data_size = pages * kPage;
    data = static_cast<BYTE*>(
        VirtualAlloc(nullptr, data_size + kPage, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    if (!data) return false;
    DWORD old = 0;
    return VirtualProtect(data + data_size, kPage, PAGE_NOACCESS, &old) != 0;
  }
  BYTE* End() const { return data + data_size; }
  void Place(size_t struct_size) {
    size = struct_size;
    base = End() - struct_size;
  }
  void Open() {
    DWORD old = 0;
    VirtualProtect(data, data_size, PAGE_READWRITE, &old);
    expired = false;
  }
  void Seal(DWORD protection) {
    DWORD old = 0;
    VirtualProtect(data, data_size, protection, &old);
  }
  void Expire() {
    expired = true;
    Seal(PAGE_NOACCESS);
  }
};

Region g_api_region, g_hooks_region;

// The structs handed to one hook call. Every thread that runs hooks has its own, so hooks that
// run at the same time on different service threads never share (or expire) each other's.
struct HookRegions {
  Region session, vm, distribution, offline, wslc_session, wslc_argument;
  bool Allocate() {
    return session.Allocate("WSLSessionInformation", 1) &&
           vm.Allocate("WSLVmCreationSettings", 1) &&
           distribution.Allocate("WSLDistributionInformation", 4) &&
           offline.Allocate("WslOfflineDistributionInformation", 4) &&
           wslc_session.Allocate("WSLCSessionInformation", 1) &&
           wslc_argument.Allocate("WSLC hook argument", 64);
  }
  void ExpireAll() {
    for (Region* r : {&session, &vm, &distribution, &offline, &wslc_session, &wslc_argument})
      r->Expire();
  }
};

// A thread that calls hooks, as WSL's service threads do: index 0 is the main thread (the
// `call` command, synchronous), 1..kServiceThreads run `call-on` commands from their queue, so
// that several hooks run at the same time. What WSL ties to "the thread running the hook" is
// per thread: the hook's sequence number (API calls and crashes are attributed with it), the
// PluginError-already-set flag and the guarded structs.
constexpr int kServiceThreads = 8;
struct HookThread {
  int index = 0;
  DWORD tid = 0;
  std::atomic<long> seq{0};  // the hook running on this thread; -1: the entry point; 0: none
  std::atomic<bool> plugin_error_set{false};
  HookRegions regions;
  CRITICAL_SECTION lock;  // the queue (service threads)
  std::deque<std::vector<std::string>> queue;
  HANDLE wake = nullptr;  // a semaphore counting the queued calls
};
HookThread g_threads[kServiceThreads + 1];

// Every guarded region, for the crash reporter (filled once at start-up).
constexpr size_t kRegionCount = 2 + 6 * (kServiceThreads + 1);
Region* g_regions[kRegionCount] = {};

// The hook thread `tid` is (its index), or -1 for any other thread (the plugin's own).
int HookThreadOf(DWORD tid) {
  for (int k = 0; k <= kServiceThreads; ++k)
    if (g_threads[k].tid == tid) return k;
  return -1;
}
int ThisHookThread() { return HookThreadOf(GetCurrentThreadId()); }

// The sequence number what thread `tid` does belongs to: its own hook on a hook thread; on
// another thread, the most recently begun hook still running (-1 during the entry point, 0 when
// none runs).
long SeqOf(DWORD tid) {
  const int k = HookThreadOf(tid);
  if (k >= 0) return g_threads[k].seq.load();
  long latest = 0;
  for (int i = 0; i <= kServiceThreads; ++i) latest = std::max(latest, g_threads[i].seq.load());
  if (latest == 0 && g_threads[0].seq.load() < 0) return -1;
  return latest;
}

// Copies strings into a region's data pages (below the struct); nullptr stays nullptr.
class StringArena {
 public:
  explicit StringArena(Region& r) : next_(r.data), limit_(r.base) {}
  LPCWSTR Put(const std::wstring* s) {
    if (!s) return nullptr;
    const size_t bytes = (s->size() + 1) * sizeof(wchar_t);
    if (next_ + bytes > limit_) return nullptr;
    std::memcpy(next_, s->c_str(), bytes);
    auto* out = reinterpret_cast<LPCWSTR>(next_);
    next_ += (bytes + 7) & ~size_t{7};
    return out;
  }
  LPCSTR PutNarrow(const std::string* s) {
    if (!s) return nullptr;
    const size_t bytes = s->size() + 1;
    if (next_ + bytes > limit_) return nullptr;
    std::memcpy(next_, s->c_str(), bytes);
    auto* out = reinterpret_cast<LPCSTR>(next_);
    next_ += (bytes + 7) & ~size_t{7};
    return out;
  }

 private:
  BYTE* next_;
  BYTE* limit_;
};

// ---------------------------------------------------------------- state
HANDLE g_proto = INVALID_HANDLE_VALUE;
CRITICAL_SECTION g_proto_lock;
LARGE_INTEGER g_qpc_start, g_qpc_freq;
HostVersion g_version{};
DWORD g_session_id = 0;
unsigned short g_port = 0;
std::string g_secret;  // the run's secret, first token of every request to the driver
std::atomic<long> g_next_cid{1};
HMODULE g_plugin = nullptr;
void* g_hooks[kHookSlots] = {};
HANDLE g_token = nullptr;
BYTE g_sid[SECURITY_MAX_SID_SIZE] = {};
long g_thread_baseline = 0;
// WSLC: the session the driver says exists (0: none) and whether its VM runs.
std::atomic<DWORD> g_wslc_session{0};
std::atomic<bool> g_wslc_vm_running{false};

double MicrosNow() {
  LARGE_INTEGER now;
  QueryPerformanceCounter(&now);
  return static_cast<double>(now.QuadPart - g_qpc_start.QuadPart) * 1e6 /
         static_cast<double>(g_qpc_freq.QuadPart);
}

void WriteAll(HANDLE h, const char* data, size_t size) {
  while (size > 0) {
    DWORD written = 0;
    if (!WriteFile(h, data, static_cast<DWORD>(size), &written, nullptr) || written == 0) return;
    data += written;
    size -= written;
  }
}

void Emit(const std::string& line) {
  EnterCriticalSection(&g_proto_lock);
  std::string out = line;
  out.push_back('\n');
  WriteAll(g_proto, out.data(), out.size());
  LeaveCriticalSection(&g_proto_lock);
}

std::string Hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(v));
  return buf;
}
std::string Hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llX", static_cast<unsigned long long>(v));
  return buf;
}
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

namespace protocol = wslplug::host::protocol;

std::string Encode(const char* s) { return s ? protocol::encode(s) : std::string(protocol::kNull); }
std::string Utf8(const wchar_t* s) {
  const int n = static_cast<int>(wcslen(s));
  if (n == 0) return {};
  const int size = WideCharToMultiByte(CP_UTF8, 0, s, n, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<size_t>(size), '\0');
  WideCharToMultiByte(CP_UTF8, 0, s, n, out.data(), size, nullptr, nullptr);
  return out;
}
std::string EncodeWide(const wchar_t* s) { return s ? protocol::encode(Utf8(s)) : "~"; }

// Decodes a string token; false when malformed. *is_null for "~".
bool Decode(const std::string& token, std::string* out, bool* is_null) {
  return protocol::decode(token, out, is_null);
}
std::wstring Wide(const std::string& u) {
  if (u.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, u.data(), static_cast<int>(u.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, u.data(), static_cast<int>(u.size()), out.data(), n);
  return out;
}

const char* ThreadKind() {
  const int k = ThisHookThread();
  if (k < 0) return "worker";
  return g_threads[k].seq.load() < 0 ? "entry-point" : "hook";
}

// Reports one API call.
void ReportCall(long cid, const char* name, HRESULT hr, const std::string& args) {
  Emit("api " + std::to_string(cid) + " " + std::to_string(SeqOf(GetCurrentThreadId())) + " " +
       ThreadKind() + " " + name + " " + Hex32(static_cast<uint32_t>(hr)) + " " + Num(MicrosNow()) +
       args);
}

std::string ArgList(LPCSTR* args) {
  std::string out;
  if (!args) return " arguments=~";
  for (int i = 0; i < 256 && args[i]; ++i) out += " arg" + Encode(args[i]);
  return out;
}

std::string GuidText(const GUID& g) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "{%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
                static_cast<unsigned long>(g.Data1), g.Data2, g.Data3, g.Data4[0], g.Data4[1],
                g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
  return buf;
}
bool ParseGuid(const std::string& text, GUID* g) {
  unsigned long d1 = 0;
  unsigned d2 = 0, d3 = 0, b[8] = {};
  if (std::sscanf(text.c_str(), "{%8lx-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x}", &d1, &d2, &d3, &b[0],
                  &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7]) != 11)
    return false;
  g->Data1 = d1;
  g->Data2 = static_cast<unsigned short>(d2);
  g->Data3 = static_cast<unsigned short>(d3);
  for (int i = 0; i < 8; ++i) g->Data4[i] = static_cast<unsigned char>(b[i]);
  return true;
}

// ---------------------------------------------------------------- ExecuteBinary transport
bool RecvLine(SOCKET s, std::string* line) {
  line->clear();
  for (;;) {
    char c = 0;
    const int n = recv(s, &c, 1, 0);
    if (n != 1) return false;
    if (c == '\n') return true;
    if (line->size() > 256) return false;
    line->push_back(c);
  }
}

// Connects to the driver and sends one request line (the secret is prepended); returns the
// socket with the reply line read, or INVALID_SOCKET when the driver cannot be reached.
SOCKET DriverRequest(const std::string& request, std::string* reply) {
  if (g_port == 0) return INVALID_SOCKET;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return INVALID_SOCKET;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  const std::string line = g_secret + " " + request + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    const int n = send(s, line.data() + sent, static_cast<int>(line.size() - sent), 0);
    if (n <= 0) {
      closesocket(s);
      return INVALID_SOCKET;
    }
    sent += static_cast<size_t>(n);
  }
  if (!RecvLine(s, reply)) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}

// The HRESULT of a "fail HRESULT ..." reply (E_FAIL for anything else).
HRESULT FailureOf(const std::string& reply) {
  if (reply.rfind("fail ", 0) == 0)
    return static_cast<HRESULT>(std::strtoul(reply.c_str() + 5, nullptr, 16));
  return E_FAIL;
}

// A request answered by one line and no stream (mount, unmount).
HRESULT DriverCall(const std::string& request) {
  std::string reply;
  const SOCKET s = DriverRequest(request, &reply);
  if (s == INVALID_SOCKET) return E_FAIL;
  closesocket(s);
  return reply == "ok" ? S_OK : FailureOf(reply);
}

// Asks the driver to start the process; on success *out is the connected socket.
HRESULT StartProcess(long cid, const char* kind, const GUID* distribution, LPCSTR path,
                     LPCSTR* args, SOCKET* out) {
  std::string request = "exec " + std::to_string(cid) + " " + kind + " " +
                        (distribution ? GuidText(*distribution) : std::string("-")) + " " +
                        Encode(path);
  if (args)
    for (int i = 0; i < 256 && args[i]; ++i) request += " " + Encode(args[i]);
  std::string reply;
  const SOCKET s = DriverRequest(request, &reply);
  if (s == INVALID_SOCKET) return E_FAIL;
  if (reply == "ok") {
    *out = s;
    return S_OK;
  }
  closesocket(s);
  return FailureOf(reply);
}

// The folder as this process sees it on Linux (wine's drive mapping), encoded; "~" when not
// under wine (Windows itself) or not mapped.
std::string UnixPathOf(LPCWSTR windows_path) {
  using GetUnixName = char*(CDECL*)(LPCWSTR);
  static const auto get = reinterpret_cast<GetUnixName>(reinterpret_cast<void*>(
      GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name")));
  if (!get) return "~";
  char* unix_name = get(windows_path);
  if (!unix_name) return "~";
  const std::string out = Encode(unix_name);
  HeapFree(GetProcessHeap(), 0, unix_name);
  return out;
}

// ---------------------------------------------------------------- the plugin API
HRESULT ApiMountFolder(DWORD session, LPCWSTR windows_path, LPCWSTR linux_path, BOOL read_only,
                       LPCWSTR name) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  if (session != g_session_id) {
    hr = kRpcDisconnected;
  } else if (!windows_path || !linux_path) {
    hr = E_INVALIDARG;
  } else if (GetFileAttributesW(windows_path) == INVALID_FILE_ATTRIBUTES) {
    hr = HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
  } else {
    hr = DriverCall("mount " + std::to_string(cid) + " vm " + UnixPathOf(windows_path) + " " +
                    EncodeWide(linux_path) + " " + (read_only ? "1" : "0"));
  }
  ReportCall(cid, "MountFolder", hr,
             " session=" + std::to_string(session) + " windows_path" + EncodeWide(windows_path) +
                 " linux_path" + EncodeWide(linux_path) +
                 " read_only=" + std::to_string(read_only ? 1 : 0) + " name" + EncodeWide(name));
  return hr;
}

HRESULT ApiExecuteBinary(DWORD session, LPCSTR path, LPCSTR* args, SOCKET* socket_out) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  if (session != g_session_id) {
    hr = kRpcDisconnected;
  } else if (!path || !socket_out) {
    hr = E_INVALIDARG;
  } else {
    hr = StartProcess(cid, "vm", nullptr, path, args, socket_out);
  }
  ReportCall(cid, "ExecuteBinary", hr,
             " session=" + std::to_string(session) + " path" + Encode(path) + ArgList(args));
  return hr;
}

HRESULT ApiExecuteBinaryInDistribution(DWORD session, const GUID* distribution, LPCSTR path,
                                       LPCSTR* args, SOCKET* socket_out) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  if (session != g_session_id) {
    hr = kRpcDisconnected;
  } else if (!distribution || !path || !socket_out) {
    hr = E_INVALIDARG;
  } else {
    hr = StartProcess(cid, "distribution", distribution, path, args, socket_out);
  }
  ReportCall(cid, "ExecuteBinaryInDistribution", hr,
             " session=" + std::to_string(session) + " distribution" +
                 (distribution ? Encode(GuidText(*distribution).c_str()) : std::string("~")) +
                 " path" + Encode(path) + ArgList(args));
  return hr;
}

HRESULT ApiPluginError(LPCWSTR message) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  if (!message) {
    hr = E_INVALIDARG;
  } else if (const int k = ThisHookThread(); k < 0 || g_threads[k].seq.load() <= 0) {
    // Only synchronously, on the thread running the hook (each service thread for its own).
    hr = kIllegalMethodCall;
  } else if (g_threads[k].plugin_error_set.exchange(true)) {
    hr = kIllegalStateChange;
  }
  ReportCall(cid, "PluginError", hr, " message" + EncodeWide(message));
  return hr;
}

// ---------------------------------------------------------------- WSLC
// WSLC calls check, in WSL's order: NULL arguments (E_POINTER), the session, the VM.
HRESULT WslcSessionState(DWORD session) {
  // No WSLC session at all: no VM runs for any id.
  if (g_wslc_session.load() == 0) return kWslcVmNotRunning;
  if (session != g_wslc_session.load()) return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  if (!g_wslc_vm_running.load()) return kWslcVmNotRunning;
  return S_OK;
}

HRESULT ApiWslcMountFolder(DWORD session, LPCWSTR windows_path, LPCSTR mountpoint, BOOL read_only) {
  const long cid = g_next_cid++;
  HRESULT hr = (!windows_path || !mountpoint) ? E_POINTER : WslcSessionState(session);
  // WSLC's checks, in its order: an absolute Windows folder that exists, an absolute mountpoint.
  if (SUCCEEDED(hr)) {
    const DWORD attributes = GetFileAttributesW(windows_path);
    const bool absolute = (windows_path[0] && windows_path[1] == L':' &&
                           (windows_path[2] == L'\\' || windows_path[2] == L'/')) ||
                          (windows_path[0] == L'\\' && windows_path[1] == L'\\');
    if (!absolute)
      hr = E_INVALIDARG;
    else if (attributes == INVALID_FILE_ATTRIBUTES || !(attributes & FILE_ATTRIBUTE_DIRECTORY))
      hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
    else if (mountpoint[0] != '/')
      hr = E_INVALIDARG;
    else
      hr = DriverCall("mount " + std::to_string(cid) + " wslc " + UnixPathOf(windows_path) + " " +
                      Encode(mountpoint) + " " + (read_only ? "1" : "0"));
  }
  ReportCall(cid, "WSLCMountFolder", hr,
             " session=" + std::to_string(session) + " windows_path" + EncodeWide(windows_path) +
                 " mountpoint" + Encode(mountpoint) +
                 " read_only=" + std::to_string(read_only ? 1 : 0));
  return hr;
}
HRESULT ApiWslcUnmountFolder(DWORD session, LPCSTR mountpoint) {
  const long cid = g_next_cid++;
  HRESULT hr = !mountpoint ? E_POINTER : WslcSessionState(session);
  if (SUCCEEDED(hr)) hr = DriverCall("unmount " + std::to_string(cid) + " " + Encode(mountpoint));
  ReportCall(cid, "WSLCUnmountFolder", hr,
             " session=" + std::to_string(session) + " mountpoint" + Encode(mountpoint));
  return hr;
}

// A process started with WSLCCreateProcess. The driver runs it and talks to the host over one
// loopback socket: the host sends the plugin's stdin bytes raw (half-close = EOF); the driver
// sends frames [type:1][length:4 LE][bytes]: 1 stdout, 2 stderr, 3 exit (4-byte exit code, last).
// The plugin gets pipe handles; two threads copy between the socket and the pipes. Objects are
// never freed (the host process is short-lived), so a thread never touches freed memory.
struct WslcProcess {
  long cid = 0;
  SOCKET socket = INVALID_SOCKET;
  HANDLE stdin_read = nullptr, stdin_write = nullptr;  // stdin_write: the plugin's, taken once
  HANDLE stdout_read = nullptr, stdout_write = nullptr;
  HANDLE stderr_read = nullptr, stderr_write = nullptr;
  HANDLE exit_event = nullptr;
  std::atomic<bool> exited{false};
  std::atomic<bool> released{false};
  bool stdin_taken = false;
  int exit_code = 0;
};
std::vector<WslcProcess*> g_wslc_processes;
CRITICAL_SECTION g_wslc_lock;

std::string ProcessText(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llX",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

WslcProcess* FindProcess(void* handle) {
  EnterCriticalSection(&g_wslc_lock);
  WslcProcess* found = nullptr;
  for (WslcProcess* p : g_wslc_processes)
    if (p == handle && !p->released) found = p;
  LeaveCriticalSection(&g_wslc_lock);
  return found;
}

bool RecvAll(SOCKET s, char* data, int size) {
  while (size > 0) {
    const int n = recv(s, data, size, 0);
    if (n <= 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

void WriteAllPipe(HANDLE h, const char* data, size_t size) {
  while (h && size > 0) {
    DWORD written = 0;
    if (!WriteFile(h, data, static_cast<DWORD>(size), &written, nullptr) || written == 0) return;
    data += written;
    size -= written;
  }
}

// The driver's frames: the process's stdout and stderr into their pipes, then its exit.
DWORD WINAPI WslcReader(void* arg) {
  auto* p = static_cast<WslcProcess*>(arg);
  std::vector<char> buffer;
  for (;;) {
    unsigned char head[5];
    if (!RecvAll(p->socket, reinterpret_cast<char*>(head), 5)) break;
    const uint32_t length =
        head[1] | (head[2] << 8) | (head[3] << 16) | (static_cast<uint32_t>(head[4]) << 24);
    if (length > (1u << 24)) break;
    buffer.resize(length);
    if (length && !RecvAll(p->socket, buffer.data(), static_cast<int>(length))) break;
    if (head[0] == 1) {
      WriteAllPipe(p->stdout_write, buffer.data(), length);
    } else if (head[0] == 2) {
      WriteAllPipe(p->stderr_write, buffer.data(), length);
    } else if (head[0] == 3 && length == 4) {
      std::memcpy(&p->exit_code, buffer.data(), 4);
      break;
    }
  }
  // End of both streams for the plugin, then the exit (also when the driver went away).
  CloseHandle(p->stdout_write);
  CloseHandle(p->stderr_write);
  p->exited = true;
  SetEvent(p->exit_event);
  return 0;
}

// The plugin's stdin pipe onto the socket; EOF when the plugin closes its handle.
DWORD WINAPI WslcWriter(void* arg) {
  auto* p = static_cast<WslcProcess*>(arg);
  char chunk[4096];
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(p->stdin_read, chunk, sizeof chunk, &got, nullptr) || got == 0) break;
    DWORD sent = 0;
    while (sent < got) {
      const int n = send(p->socket, chunk + sent, static_cast<int>(got - sent), 0);
      if (n <= 0) return 0;
      sent += static_cast<DWORD>(n);
    }
  }
  shutdown(p->socket, SD_SEND);
  return 0;
}

// Asks the driver to run the process: "exec CID wslc - PATH ARG... [+ ENV...]"; the reply is
// "ok" or "fail HRESULT ERRNO".
HRESULT StartWslcProcess(long cid, LPCSTR path, LPCSTR* args, LPCSTR* env, WslcProcess** out,
                         int* errno_out) {
  std::string request = "exec " + std::to_string(cid) + " wslc - " + Encode(path);
  if (args)
    for (int i = 0; i < 256 && args[i]; ++i) request += " " + Encode(args[i]);
  if (env) {
    request += " +";
    for (int i = 0; i < 256 && env[i]; ++i) request += " " + Encode(env[i]);
  }
  std::string reply;
  const SOCKET s = DriverRequest(request, &reply);
  if (s == INVALID_SOCKET) return E_FAIL;
  if (reply != "ok") {
    closesocket(s);
    HRESULT hr = E_FAIL;
    unsigned long hr_value = 0;
    int child_errno = 0;
    if (std::sscanf(reply.c_str(), "fail %lx %d", &hr_value, &child_errno) >= 1)
      hr = static_cast<HRESULT>(hr_value);
    if (errno_out && child_errno) *errno_out = child_errno;
    return hr;
  }
  auto* p = new WslcProcess;
  p->cid = cid;
  p->socket = s;
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, FALSE};
  constexpr DWORD kPipeSize = 1 << 20;
  CreatePipe(&p->stdin_read, &p->stdin_write, &sa, kPipeSize);
  CreatePipe(&p->stdout_read, &p->stdout_write, &sa, kPipeSize);
  CreatePipe(&p->stderr_read, &p->stderr_write, &sa, kPipeSize);
  p->exit_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  EnterCriticalSection(&g_wslc_lock);
  g_wslc_processes.push_back(p);
  LeaveCriticalSection(&g_wslc_lock);
  CreateThread(nullptr, 64 * 1024, WslcReader, p, 0, nullptr);
  CreateThread(nullptr, 64 * 1024, WslcWriter, p, 0, nullptr);
  *out = p;
  return S_OK;
}

HRESULT ApiWslcCreateProcess(DWORD session, LPCSTR executable, LPCSTR* args, LPCSTR* env,
                             void** process, int* errno_out) {
  const long cid = g_next_cid++;
  HRESULT hr = (!executable || !args || !process) ? E_POINTER : WslcSessionState(session);
  WslcProcess* p = nullptr;
  if (SUCCEEDED(hr)) hr = StartWslcProcess(cid, executable, args, env, &p, errno_out);
  if (SUCCEEDED(hr)) *process = p;
  std::string env_text;
  if (env)
    for (int i = 0; i < 256 && env[i]; ++i) env_text += " env" + Encode(env[i]);
  ReportCall(cid, "WSLCCreateProcess", hr,
             " session=" + std::to_string(session) + " path" + Encode(executable) + ArgList(args) +
                 env_text + " process=" + (p ? ProcessText(p) : "~"));
  return hr;
}

HRESULT ApiWslcProcessGetFd(void* process, int fd, HANDLE* out) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  WslcProcess* p = FindProcess(process);
  if (!process || !out) {
    hr = E_POINTER;
  } else if (!p || fd < 0 || fd > 2) {
    hr = E_INVALIDARG;
  } else if (fd == 0) {
    // The write end goes to the plugin as it is, so closing it is the process's EOF.
    EnterCriticalSection(&g_wslc_lock);
    if (p->stdin_taken) {
      hr = HRESULT_FROM_WIN32(ERROR_INVALID_STATE);
    } else {
      p->stdin_taken = true;
      *out = p->stdin_write;
    }
    LeaveCriticalSection(&g_wslc_lock);
  } else {
    HANDLE source = fd == 1 ? p->stdout_read : p->stderr_read;
    if (!DuplicateHandle(GetCurrentProcess(), source, GetCurrentProcess(), out, 0, FALSE,
                         DUPLICATE_SAME_ACCESS))
      hr = HRESULT_FROM_WIN32(GetLastError());
  }
  ReportCall(cid, "WSLCProcessGetFd", hr,
             " process=" + ProcessText(process) + " fd=" + std::to_string(fd));
  return hr;
}
HRESULT ApiWslcProcessGetExitEvent(void* process, HANDLE* out) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  WslcProcess* p = FindProcess(process);
  if (!process || !out) {
    hr = E_POINTER;
  } else if (!p) {
    hr = E_INVALIDARG;
  } else if (!DuplicateHandle(GetCurrentProcess(), p->exit_event, GetCurrentProcess(), out, 0,
                              FALSE, DUPLICATE_SAME_ACCESS)) {
    hr = HRESULT_FROM_WIN32(GetLastError());
  }
  ReportCall(cid, "WSLCProcessGetExitEvent", hr, " process=" + ProcessText(process));
  return hr;
}
HRESULT ApiWslcProcessGetExitCode(void* process, int* out) {
  const long cid = g_next_cid++;
  HRESULT hr = S_OK;
  WslcProcess* p = FindProcess(process);
  if (!process || !out) {
    hr = E_POINTER;
  } else if (!p) {
    hr = E_INVALIDARG;
  } else if (!p->exited) {
    hr = HRESULT_FROM_WIN32(ERROR_INVALID_STATE);
  } else {
    *out = p->exit_code;
  }
  ReportCall(cid, "WSLCProcessGetExitCode", hr,
             " process=" + ProcessText(process) +
                 (hr == S_OK ? " exit_code=" + std::to_string(p->exit_code) : std::string()));
  return hr;
}
void ApiWslcReleaseProcess(void* process) {
  const long cid = g_next_cid++;
  WslcProcess* p = FindProcess(process);
  const char* state = !process ? "null" : !p ? "unknown" : "released";
  if (p) {
    p->released = true;
    // The host's own ends; the plugin's handles stay the plugin's to close.
    if (!p->stdin_taken) CloseHandle(p->stdin_write);
    shutdown(p->socket, SD_BOTH);
  }
  ReportCall(cid, "WSLCReleaseProcess", S_OK,
             " process=" + ProcessText(process) + " state=" + Encode(state));
}

// ---------------------------------------------------------------- crashes
struct CrashInfo {
  EXCEPTION_RECORD record;
  DWORD64 rip;
  DWORD thread;
};
CrashInfo g_crash;
std::atomic<long> g_crashing{0};
HANDLE g_crash_event = nullptr;

bool FatalCode(DWORD code) {
  switch (code) {
    case EXCEPTION_ACCESS_VIOLATION:
    case EXCEPTION_STACK_OVERFLOW:
    case EXCEPTION_ILLEGAL_INSTRUCTION:
    case EXCEPTION_PRIV_INSTRUCTION:
    case EXCEPTION_INT_DIVIDE_BY_ZERO:
    case EXCEPTION_INT_OVERFLOW:
    case EXCEPTION_IN_PAGE_ERROR:
    case EXCEPTION_DATATYPE_MISALIGNMENT:
    case EXCEPTION_ARRAY_BOUNDS_EXCEEDED:
    case EXCEPTION_NONCONTINUABLE_EXCEPTION:
    case 0xC0000374:  // STATUS_HEAP_CORRUPTION
    case 0xC0000409:  // STATUS_STACK_BUFFER_OVERRUN (fail-fast)
      return true;
    default:
      return false;
  }
}

// Runs on the faulting thread with little stack left (stack overflow): it only copies the facts
// and wakes the reporter thread, which formats them and ends the process.
LONG Capture(EXCEPTION_POINTERS* info) {
  if (g_crashing.exchange(1) != 0) {
    for (;;) Sleep(INFINITE);
  }
  g_crash.record = *info->ExceptionRecord;
  g_crash.rip = info->ContextRecord ? info->ContextRecord->Rip : 0;
  g_crash.thread = GetCurrentThreadId();
  SetEvent(g_crash_event);
  for (;;) Sleep(INFINITE);
}

LONG CALLBACK VectoredHandler(EXCEPTION_POINTERS* info) {
  if (!FatalCode(info->ExceptionRecord->ExceptionCode)) return EXCEPTION_CONTINUE_SEARCH;
  return Capture(info);
}
LONG WINAPI UnhandledFilter(EXCEPTION_POINTERS* info) { return Capture(info); }

void ModuleOf(uintptr_t address, std::string* name, uintptr_t* offset) {
  HMODULE module = nullptr;
  *name = "~";
  *offset = 0;
  if (!address || !GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                          GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                      reinterpret_cast<LPCWSTR>(address), &module))
    return;
  wchar_t path[MAX_PATH] = {};
  if (GetModuleFileNameW(module, path, MAX_PATH) == 0) return;
  const wchar_t* base = path;
  for (const wchar_t* p = path; *p; ++p)
    if (*p == L'\\' || *p == L'/') base = p + 1;
  *name = EncodeWide(base);
  *offset = address - reinterpret_cast<uintptr_t>(module);
}

DWORD WINAPI Reporter(void*) {
  WaitForSingleObject(g_crash_event, INFINITE);
  const EXCEPTION_RECORD& r = g_crash.record;
  const auto address = reinterpret_cast<uintptr_t>(r.ExceptionAddress);
  std::string module;
  uintptr_t offset = 0;
  ModuleOf(address, &module, &offset);
  // The faulting thread waits for ever: its hook's seq stays as it was.
  const long seq = SeqOf(g_crash.thread);
  const char* thread = HookThreadOf(g_crash.thread) < 0 ? "worker"
                       : seq < 0                        ? "entry-point"
                                                        : "hook";
  std::string access = "-";
  uintptr_t fault = 0;
  bool have_fault = false;
  if (r.ExceptionCode == EXCEPTION_ACCESS_VIOLATION && r.NumberParameters >= 2) {
    access = r.ExceptionInformation[0] == 0   ? "read"
             : r.ExceptionInformation[0] == 8 ? "execute"
                                              : "write";
    fault = r.ExceptionInformation[1];
    have_fault = true;
    for (Region* region : g_regions) {
      if (!region || !region->data) continue;
      const auto begin = reinterpret_cast<uintptr_t>(region->data);
      const auto end = reinterpret_cast<uintptr_t>(region->End());
      const auto base = reinterpret_cast<uintptr_t>(region->base);
      const char* kind = nullptr;
      if (fault >= end && fault < end + kPage) {
        kind = "past-end";
      } else if (fault >= begin && fault < end && region->expired) {
        kind = "expired";
      } else if (fault >= begin && fault < end && region->read_only && access == "write") {
        kind = "read-only";
      }
      if (!kind) continue;
      const long long at = static_cast<long long>(fault) - static_cast<long long>(base);
      Emit(std::string("guard ") + region->name + " " + kind + " " + std::to_string(at) + " " +
           access + " " + thread + " " + std::to_string(seq) + " " + module + " " + Hex64(offset));
      TerminateProcess(GetCurrentProcess(), kCrashExit);
    }
  }
  Emit("crash " + Hex32(r.ExceptionCode) + " " + Hex64(address) + " " + module + " " +
       Hex64(offset) + " " + access + " " + (have_fault ? Hex64(fault) : std::string("-")) + " " +
       thread + " " + std::to_string(seq));
  TerminateProcess(GetCurrentProcess(), kCrashExit);
  return 0;
}

// ---------------------------------------------------------------- commands
std::vector<std::string> Split(const std::string& line) {
  if (line.empty()) return {};
  return protocol::split(line);
}

bool ReadLine(HANDLE in, std::string* line) {
  static std::string buffer;
  line->clear();
  for (;;) {
    const size_t nl = buffer.find('\n');
    if (nl != std::string::npos) {
      *line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    char chunk[4096];
    DWORD got = 0;
    if (!ReadFile(in, chunk, sizeof chunk, &got, nullptr) || got == 0) return false;
    buffer.append(chunk, got);
  }
}

long CountThreads() {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snap == INVALID_HANDLE_VALUE) return 0;
  THREADENTRY32 entry{};
  entry.dwSize = sizeof entry;
  long n = 0;
  const DWORD pid = GetCurrentProcessId();
  if (Thread32First(snap, &entry)) {
    do {
      if (entry.th32OwnerProcessID == pid) ++n;
    } while (Thread32Next(snap, &entry));
  }
  CloseHandle(snap);
  return n;
}

using EntryPoint = HRESULT (*)(const ApiTable*, void**);

void Load(const std::vector<std::string>& t) {
  // load SESSION X.Y.Z PATH
  std::string path;
  bool is_null = false;
  unsigned major = 0, minor = 0, revision = 0;
  if (t.size() != 4 || std::sscanf(t[2].c_str(), "%u.%u.%u", &major, &minor, &revision) != 3 ||
      !Decode(t[3], &path, &is_null) || is_null) {
    Emit("error malformed load command");
    return;
  }
  g_session_id = static_cast<DWORD>(std::strtoul(t[1].c_str(), nullptr, 10));
  g_version = HostVersion{major, minor, revision};

  ApiTable api{};
  api.Version = g_version;
  api.MountFolder = reinterpret_cast<void*>(&ApiMountFolder);
  api.ExecuteBinary = reinterpret_cast<void*>(&ApiExecuteBinary);
  api.PluginError = reinterpret_cast<void*>(&ApiPluginError);
  api.ExecuteBinaryInDistribution = reinterpret_cast<void*>(&ApiExecuteBinaryInDistribution);
  api.WSLCMountFolder = reinterpret_cast<void*>(&ApiWslcMountFolder);
  api.WSLCUnmountFolder = reinterpret_cast<void*>(&ApiWslcUnmountFolder);
  api.WSLCCreateProcess = reinterpret_cast<void*>(&ApiWslcCreateProcess);
  api.WSLCProcessGetFd = reinterpret_cast<void*>(&ApiWslcProcessGetFd);
  api.WSLCProcessGetExitEvent = reinterpret_cast<void*>(&ApiWslcProcessGetExitEvent);
  api.WSLCProcessGetExitCode = reinterpret_cast<void*>(&ApiWslcProcessGetExitCode);
  api.WSLCReleaseProcess = reinterpret_cast<void*>(&ApiWslcReleaseProcess);
  g_api_region.Place(ApiSize(g_version));
  std::memcpy(g_api_region.base, &api, g_api_region.size);
  // WSL's table is static const data: writing it faults there too.
  g_api_region.read_only = true;
  g_api_region.Seal(PAGE_READONLY);

  const int hook_count = HookCount(g_version);
  g_hooks_region.Place(static_cast<size_t>(hook_count) * sizeof(void*));
  std::memset(g_hooks_region.data, 0, g_hooks_region.data_size);

  g_thread_baseline = CountThreads();
  const double t0 = MicrosNow();
  const std::wstring wide = Wide(path);
  g_plugin = LoadLibraryW(wide.c_str());
  if (!g_plugin) {
    const DWORD error = GetLastError();
    Emit("load LoadLibrary " + Hex32(static_cast<uint32_t>(HRESULT_FROM_WIN32(error))) + " " +
         Num(MicrosNow() - t0));
    return;
  }
  // A plugin's runtime may install its own filter while loading; WSL's crash path is ours.
  SetUnhandledExceptionFilter(UnhandledFilter);
  auto entry = reinterpret_cast<EntryPoint>(
      reinterpret_cast<void*>(GetProcAddress(g_plugin, "WSLPluginAPIV1_EntryPoint")));
  if (!entry) {
    Emit("load GetProcAddress " +
         Hex32(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND))) + " " +
         Num(MicrosNow() - t0));
    return;
  }
  g_threads[0].seq = -1;
  const HRESULT hr = entry(reinterpret_cast<const ApiTable*>(g_api_region.base),
                           reinterpret_cast<void**>(g_hooks_region.base));
  g_threads[0].seq = 0;
  const double elapsed = MicrosNow() - t0;
  std::string set;
  auto** slots = reinterpret_cast<void**>(g_hooks_region.base);
  for (int i = 0; i < hook_count; ++i) {
    g_hooks[i] = slots[i];
    if (slots[i]) set += (set.empty() ? "" : ",") + std::to_string(i);
  }
  // WSL passes the hook table on its stack: it is gone once the entry point returned.
  g_hooks_region.Expire();
  Emit("load EntryPoint " + Hex32(static_cast<uint32_t>(hr)) + " " + Num(elapsed));
  Emit("hooks " + (set.empty() ? std::string("-") : set));
}

int HookIndex(const std::string& name) {
  static const char* const kNames[] = {"OnVMStarted",
                                       "OnVMStopping",
                                       "OnDistributionStarted",
                                       "OnDistributionStopping",
                                       "OnDistributionRegistered",
                                       "OnDistributionUnregistered",
                                       "OnSessionCreated",
                                       "OnSessionStopping",
                                       "ContainerStarted",
                                       "ContainerStopping",
                                       "ImageCreated",
                                       "ImageDeleted",
                                       "WslcVmStarted",
                                       "WslcVmStopping"};
  for (int i = 0; i < kHookSlots; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

struct Str {
  bool null = true;
  std::wstring value;
  const std::wstring* Ptr() const { return null ? nullptr : &value; }
};
bool DecodeWide(const std::string& token, Str* out) {
  std::string u;
  if (!Decode(token, &u, &out->null)) return false;
  out->value = Wide(u);
  return true;
}

// call SEQ HOOK WSLCID DISPLAYNAME APPPID [ARGUMENT]: a WSLC hook with its session (APPPID 0:
// this process's id) and, for the container and image hooks, the LPCSTR argument.
void CallWslc(const std::vector<std::string>& t, long seq, int index, HookThread& th) {
  const std::string& hook = t[2];
  const bool has_argument = index >= 8 && index <= 11;
  Str name;
  std::string argument;
  bool argument_null = true;
  if (t.size() != (has_argument ? 7u : 6u) || !DecodeWide(t[4], &name) ||
      (has_argument && !Decode(t[6], &argument, &argument_null)))
    return Emit("error malformed " + hook);
  Region& r = th.regions.wslc_session;
  r.Open();
  r.Place(sizeof(WslcSessionInformation));
  std::memset(r.data, 0, r.data_size);
  StringArena arena(r);
  WslcSessionInformation session{};
  session.SessionId = static_cast<DWORD>(std::strtoul(t[3].c_str(), nullptr, 10));
  session.DisplayName = arena.Put(name.Ptr());
  const DWORD pid = static_cast<DWORD>(std::strtoul(t[5].c_str(), nullptr, 10));
  session.ApplicationPid = pid ? pid : GetCurrentProcessId();
  session.UserToken = g_token;
  session.UserSid = reinterpret_cast<PSID>(g_sid);
  std::memcpy(r.base, &session, sizeof session);
  LPCSTR arg = nullptr;
  if (has_argument) {
    Region& a = th.regions.wslc_argument;
    a.Open();
    a.Place(0);
    StringArena strings(a);
    arg = argument_null ? nullptr : strings.PutNarrow(&argument);
  }
  using SessionHook = HRESULT (*)(const WslcSessionInformation*);
  using ArgumentHook = HRESULT (*)(const WslcSessionInformation*, LPCSTR);
  const auto* session_ptr = reinterpret_cast<const WslcSessionInformation*>(r.base);
  th.plugin_error_set = false;
  th.seq = seq;
  const double t0 = MicrosNow();
  Emit("begin " + std::to_string(seq) + " " + hook + " " + Num(t0) + " " +
       std::to_string(th.index));
  const HRESULT hr = has_argument ? reinterpret_cast<ArgumentHook>(g_hooks[index])(session_ptr, arg)
                                  : reinterpret_cast<SessionHook>(g_hooks[index])(session_ptr);
  const double elapsed = MicrosNow() - t0;
  th.seq = 0;
  r.Expire();
  if (has_argument) th.regions.wslc_argument.Expire();
  Emit("end " + std::to_string(seq) + " " + hook + " " + Hex32(static_cast<uint32_t>(hr)) + " " +
       Num(elapsed));
}

// call SEQ HOOK ARGS... on hook thread `th` (the main thread, or a service thread for call-on).
void Call(const std::vector<std::string>& t, HookThread& th) {
  if (t.size() < 3) {
    Emit("error malformed call command");
    return;
  }
  const long seq = std::strtol(t[1].c_str(), nullptr, 10);
  const std::string& hook = t[2];
  const int index = HookIndex(hook);
  if (index < 0 || index >= HookCount(g_version) || !g_hooks[index] || seq <= 0) {
    Emit("error call of a hook that is not set: " + hook);
    return;
  }
  if (index >= 6) return CallWslc(t, seq, index, th);
  HookRegions& regions = th.regions;
  // The session (valid during the call).
  regions.session.Open();
  regions.session.Place(sizeof(SessionInformation));
  SessionInformation session{g_session_id, g_token, reinterpret_cast<PSID>(g_sid)};
  std::memcpy(regions.session.base, &session, sizeof session);
  const auto* session_ptr = reinterpret_cast<const SessionInformation*>(regions.session.base);

  using VmHook = HRESULT (*)(const SessionInformation*, const VmCreationSettings*);
  using StopHook = HRESULT (*)(const SessionInformation*);
  using DistroHook = HRESULT (*)(const SessionInformation*, const void*);
  Region* used = nullptr;
  HRESULT hr = E_FAIL;
  if (index == 0) {
    if (t.size() != 4) return Emit("error malformed OnVMStarted");
    regions.vm.Open();
    regions.vm.Place(sizeof(VmCreationSettings));
    VmCreationSettings settings{static_cast<int>(std::strtol(t[3].c_str(), nullptr, 10))};
    std::memcpy(regions.vm.base, &settings, sizeof settings);
    used = &regions.vm;
  } else if (index == 2 || index == 3) {
    // GUID NAME PIDNS PFN INITPID FLAVOR VERSION
    Str name, pfn, flavor, version;
    GUID id{};
    if (t.size() != 10 || !ParseGuid(t[3], &id) || !DecodeWide(t[4], &name) ||
        !DecodeWide(t[6], &pfn) || !DecodeWide(t[8], &flavor) || !DecodeWide(t[9], &version))
      return Emit("error malformed " + hook);
    Region& r = regions.distribution;
    r.Open();
    r.Place(DistributionSize(g_version));
    std::memset(r.data, 0, r.data_size);
    StringArena arena(r);
    DistributionInformation d{};
    d.Id = id;
    d.Name = arena.Put(name.Ptr());
    d.PidNamespace = std::strtoull(t[5].c_str(), nullptr, 10);
    d.PackageFamilyName = arena.Put(pfn.Ptr());
    d.InitPid = static_cast<uint32_t>(std::strtoul(t[7].c_str(), nullptr, 10));
    d.Flavor = arena.Put(flavor.Ptr());
    d.Version = arena.Put(version.Ptr());
    std::memcpy(r.base, &d, r.size);
    used = &r;
  } else if (index == 4 || index == 5) {
    // GUID NAME PFN FLAVOR VERSION
    Str name, pfn, flavor, version;
    GUID id{};
    if (t.size() != 8 || !ParseGuid(t[3], &id) || !DecodeWide(t[4], &name) ||
        !DecodeWide(t[5], &pfn) || !DecodeWide(t[6], &flavor) || !DecodeWide(t[7], &version))
      return Emit("error malformed " + hook);
    Region& r = regions.offline;
    r.Open();
    r.Place(OfflineSize(g_version));
    std::memset(r.data, 0, r.data_size);
    StringArena arena(r);
    OfflineDistributionInformation d{};
    d.Id = id;
    d.Name = arena.Put(name.Ptr());
    d.PackageFamilyName = arena.Put(pfn.Ptr());
    d.Flavor = arena.Put(flavor.Ptr());
    d.Version = arena.Put(version.Ptr());
    std::memcpy(r.base, &d, r.size);
    used = &r;
  }

  // Wine 8 reports a stack overflow only when the overflowing recursion leaves room for the
  // exception frame where it meets the stack's last guard pages, which depends on how deep the
  // hook starts. This spacing is one where tests/fixtures/run/stack_overflow.c is reported
  // (RunCrash.StackOverflowInOnVMStarted); without it that recursion ends the thread silently.
  volatile char spacing[2048];
  spacing[0] = 0;
  spacing[sizeof spacing - 1] = 0;
  th.plugin_error_set = false;
  th.seq = seq;
  const double t0 = MicrosNow();
  Emit("begin " + std::to_string(seq) + " " + hook + " " + Num(t0) + " " +
       std::to_string(th.index));
  switch (index) {
    case 0:
      hr = reinterpret_cast<VmHook>(g_hooks[0])(
          session_ptr, reinterpret_cast<const VmCreationSettings*>(used->base));
      break;
    case 1:
      hr = reinterpret_cast<StopHook>(g_hooks[1])(session_ptr);
      break;
    default:
      hr = reinterpret_cast<DistroHook>(g_hooks[index])(session_ptr, used->base);
      break;
  }
  const double elapsed = MicrosNow() - t0;
  th.seq = 0;
  regions.session.Expire();
  if (used) used->Expire();
  Emit("end " + std::to_string(seq) + " " + hook + " " + Hex32(static_cast<uint32_t>(hr)) + " " +
       Num(elapsed));
}

// A service thread: runs the calls queued for it by call-on, one after another.
DWORD WINAPI ServiceThreadMain(void* arg) {
  auto& th = *static_cast<HookThread*>(arg);
  for (;;) {
    WaitForSingleObject(th.wake, INFINITE);
    EnterCriticalSection(&th.lock);
    std::vector<std::string> t = std::move(th.queue.front());
    th.queue.pop_front();
    LeaveCriticalSection(&th.lock);
    Call(t, th);
  }
}

// call-on THREAD SEQ HOOK ARGS...: queues the call for service thread THREAD and returns at once.
void CallOn(const std::vector<std::string>& t) {
  const long k = t.size() >= 4 ? std::strtol(t[1].c_str(), nullptr, 10) : 0;
  if (k < 1 || k > kServiceThreads) return Emit("error malformed call-on command");
  HookThread& th = g_threads[k];
  std::vector<std::string> call(t.begin() + 1, t.end());
  call[0] = "call";
  EnterCriticalSection(&th.lock);
  th.queue.push_back(std::move(call));
  LeaveCriticalSection(&th.lock);
  ReleaseSemaphore(th.wake, 1, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  QueryPerformanceFrequency(&g_qpc_freq);
  QueryPerformanceCounter(&g_qpc_start);
  // No error dialogs, no debugger: crashes are reported by the handlers below.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  InitializeCriticalSection(&g_proto_lock);
  InitializeCriticalSection(&g_wslc_lock);

  // The protocol gets a private duplicate of stdout; the plugin's stdout goes to stderr.
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
  if (!DuplicateHandle(GetCurrentProcess(), out, GetCurrentProcess(), &g_proto, 0, FALSE,
                       DUPLICATE_SAME_ACCESS))
    g_proto = out;
  SetStdHandle(STD_OUTPUT_HANDLE, err);
  std::fflush(stdout);
  _dup2(_fileno(stderr), _fileno(stdout));
  setvbuf(stdout, nullptr, _IONBF, 0);

  if (argc != 1) {
    std::fprintf(stderr, "usage: wslplug-host.exe (run by wslplug run; commands on stdin)\n");
    return 2;
  }
  (void)argv;

  // What the WSL service has done before it loads plugins.
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  // A real user token and SID: this process's.
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, &g_token)) {
    BYTE buffer[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    DWORD size = 0;
    if (GetTokenInformation(g_token, TokenUser, buffer, sizeof buffer, &size)) {
      const auto* user = reinterpret_cast<TOKEN_USER*>(buffer);
      CopySid(sizeof g_sid, g_sid, user->User.Sid);
    }
  }

  bool allocated = g_api_region.Allocate("api", 1) && g_hooks_region.Allocate("hooks", 1);
  size_t region_count = 0;
  g_regions[region_count++] = &g_api_region;
  g_regions[region_count++] = &g_hooks_region;
  for (HookThread& th : g_threads) {
    allocated = allocated && th.regions.Allocate();
    th.regions.ExpireAll();
    HookRegions& r = th.regions;
    for (Region* region :
         {&r.session, &r.vm, &r.distribution, &r.offline, &r.wslc_session, &r.wslc_argument})
      g_regions[region_count++] = region;
  }
  if (!allocated) {
    Emit("error cannot allocate the guarded tables");
    return 3;
  }

  g_crash_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  CreateThread(nullptr, 64 * 1024, Reporter, nullptr, 0, nullptr);
  AddVectoredExceptionHandler(1, VectoredHandler);
  SetUnhandledExceptionFilter(UnhandledFilter);

  // The hook threads, before "ready": the driver's thread baseline includes them.
  g_threads[0].tid = GetCurrentThreadId();
  for (int k = 1; k <= kServiceThreads; ++k) {
    HookThread& th = g_threads[k];
    th.index = k;
    InitializeCriticalSection(&th.lock);
    th.wake = CreateSemaphoreW(nullptr, 0, 0x7fffffff, nullptr);
    DWORD tid = 0;
    if (!th.wake || !CreateThread(nullptr, 0, ServiceThreadMain, &th, 0, &tid)) {
      Emit("error cannot start the service threads");
      return 3;
    }
    th.tid = tid;
  }

  Emit("ready 1 " + std::to_string(GetCurrentProcessId()));
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  std::string line;
  while (ReadLine(in, &line)) {
    const std::vector<std::string> t = Split(line);
    if (t.empty()) continue;
    if (t[0] == "channel" && t.size() == 3) {
      g_port = static_cast<unsigned short>(std::strtoul(t[1].c_str(), nullptr, 10));
      g_secret = t[2];
    } else if (t[0] == "load") {
      Load(t);
    } else if (t[0] == "call") {
      Call(t, g_threads[0]);
    } else if (t[0] == "call-on") {
      CallOn(t);
    } else if (t[0] == "wslc-state" && t.size() == 3) {
      // wslc-state SESSION VM: the WSLC session that exists (0: none), its VM running (1) or not.
      g_wslc_session = static_cast<DWORD>(std::strtoul(t[1].c_str(), nullptr, 10));
      g_wslc_vm_running = t[2] == "1";
    } else if (t[0] == "threads") {
      const long n = CountThreads() - g_thread_baseline;
      Emit("threads " + std::to_string(n < 0 ? 0 : n));
    } else if (t[0] == "quit") {
      break;
    } else {
      Emit("error unknown command " + t[0]);
    }
  }
  Emit("bye");
  FlushFileBuffers(g_proto);
  TerminateProcess(GetCurrentProcess(), 0);
  return 0;
}
