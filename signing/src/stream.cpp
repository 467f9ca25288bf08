// The streaming pass over a PE image: one read of every byte, the Authenticode hash on this
// thread, reading on a second thread and the sink (checksum and output write) on a third, with
// a small ring of 1 MiB buffers between them, so memory does not depend on the file size.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "authenticode.hpp"

namespace wslplug::signing {

HashRanges hash_ranges(const pe::Layout& layout) {
  return HashRanges{layout.checksum_offset, layout.cert_dir_offset, layout.signed_data_end()};
}

namespace {

constexpr std::size_t kChunk = 1u << 20;
constexpr std::size_t kBuffers = 8;  // absorbs scheduling delays of the writer thread
constexpr std::size_t kAlign = 4096;

// Feeds the bytes of [off, off+data.size()) that the Authenticode hash covers.
void hash_chunk(const HashRanges& r, std::uint64_t off, std::span<const std::byte> data,
                std::span<EVP_MD_CTX* const> hashes) {
  if (hashes.empty()) return;
  std::array<std::pair<std::uint64_t, std::uint64_t>, 2> skip{};
  std::size_t nskip = 0;
  skip[nskip++] = {r.checksum_offset, r.checksum_offset + 4};
  if (r.cert_dir_offset) skip[nskip++] = {*r.cert_dir_offset, *r.cert_dir_offset + 8};
  std::sort(skip.begin(), skip.begin() + nskip);
  std::uint64_t pos = off;
  const std::uint64_t end = std::min<std::uint64_t>(off + data.size(), r.hash_end);
  auto feed = [&](std::uint64_t a, std::uint64_t b) {
    if (b <= a) return;
    for (auto* h : hashes) EVP_DigestUpdate(h, data.data() + (a - off), b - a);
  };
  for (std::size_t i = 0; i < nskip && pos < end; ++i) {
    const auto [sa, sb] = skip[i];
    if (sb <= pos) continue;
    if (sa >= end) break;
    feed(pos, std::min(sa, end));
    pos = std::max(pos, sb);
  }
  if (pos < end) feed(pos, end);
}

}  // namespace

Status stream_image(const InputFile& file, const HashRanges& ranges, std::uint64_t read_end,
                    std::span<EVP_MD_CTX* const> hashes, const ChunkSink& sink,
                    const ChunkSink& inline_sink, unsigned consumers) {
  consumers = std::max(1u, std::min(consumers, 4u));
  file.advise_sequential();
  const std::size_t nbuf =
      sink ? kBuffers + 2 * (consumers - 1) : 1;  // without a sink, one buffer and no second thread
  const std::size_t chunk = static_cast<std::size_t>(
      std::min<std::uint64_t>(kChunk, std::max<std::uint64_t>(read_end, 1)));
  // Page-aligned buffers, so a sink may write them with O_DIRECT.
  struct FreeDeleter {
    void operator()(std::byte* p) const noexcept { std::free(p); }
  };
  const std::size_t alloc = (chunk + kAlign - 1) / kAlign * kAlign;
  std::vector<std::unique_ptr<std::byte, FreeDeleter>> storage;
  std::vector<std::span<std::byte>> bufs;
  for (std::size_t i = 0; i < nbuf; ++i) {
    storage.emplace_back(static_cast<std::byte*>(std::aligned_alloc(kAlign, alloc)));
    if (!storage.back()) return internal_error("out of memory for the I/O buffers");
    bufs.emplace_back(storage.back().get(), alloc);
  }

  if (!sink) {
    for (std::uint64_t off = 0; off < read_end;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, read_end - off));
      std::span<std::byte> s(bufs[0].data(), n);
      if (auto st = file.read_at(off, s); !st) return st;
      hash_chunk(ranges, off, s, hashes);
      if (inline_sink) {
        if (auto st = inline_sink(off, s); !st) return st;
      }
      off += n;
    }
    return {};
  }

  // Three stages, so the hashing thread does nothing but hash (SHA-256 is the critical path):
  // a reader thread fills free buffers, this thread hashes them, and the consumer thread(s)
  // run `inline_sink` (checksum) and `sink` (output write), then return the buffer.
  struct Item {
    std::size_t buf;
    std::uint64_t off;
    std::size_t n;
  };
  std::mutex m;
  std::condition_variable cv;
  std::deque<Item> read_q;  // read, waiting to be hashed
  std::deque<Item> filled;  // hashed, waiting for the sink
  std::deque<std::size_t> free_bufs;
  for (std::size_t i = 0; i < nbuf; ++i) free_bufs.push_back(i);
  bool reading_done = false;  // the reader has queued its last chunk (or failed)
  bool done = false;          // the hasher has queued its last chunk (or failed)
  bool stop = false;          // an error anywhere: every stage winds down
  std::optional<Error> error;
  // With one consumer the checksum runs there (serialised, off the hashing thread); with
  // several, sink calls are concurrent and out of order, so it stays on the hashing thread.
  const bool inline_on_consumer = consumers == 1;

  auto fail = [&](const Error& e) {
    std::lock_guard lock(m);
    if (!error) error = e;
    stop = true;
  };

  auto reader = [&] {
    for (std::uint64_t off = 0; off < read_end;) {
      std::size_t b;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return !free_bufs.empty() || stop; });
        if (stop) break;
        b = free_bufs.front();
        free_bufs.pop_front();
      }
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, read_end - off));
      if (auto st = file.read_at(off, std::span(bufs[b].data(), n)); !st) {
        fail(st.error());
        cv.notify_all();
        break;
      }
      {
        std::lock_guard lock(m);
        read_q.push_back({b, off, n});
      }
      cv.notify_all();
      off += n;
    }
    {
      std::lock_guard lock(m);
      reading_done = true;
    }
    cv.notify_all();
  };

  auto consume = [&] {
    for (;;) {
      Item it;
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return !filled.empty() || done || stop; });
        if (filled.empty() || stop) return;
        it = filled.front();
        filled.pop_front();
      }
      std::span<std::byte> s(bufs[it.buf].data(), it.n);
      Status st;
      if (inline_sink && inline_on_consumer) st = inline_sink(it.off, s);
      if (st) st = sink(it.off, s);
      if (!st) fail(st.error());
      {
        std::lock_guard lock(m);
        free_bufs.push_back(it.buf);
      }
      cv.notify_all();
      if (!st) return;
    }
  };

  std::thread read_thread(reader);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < consumers; ++i) threads.emplace_back(consume);

  for (;;) {
    Item it;
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return !read_q.empty() || reading_done || stop; });
      if (stop || read_q.empty()) break;
      it = read_q.front();
      read_q.pop_front();
    }
    std::span<std::byte> s(bufs[it.buf].data(), it.n);
    hash_chunk(ranges, it.off, s, hashes);
    if (inline_sink && !inline_on_consumer) {
      if (auto st = inline_sink(it.off, s); !st) {
        fail(st.error());
        break;
      }
    }
    {
      std::lock_guard lock(m);
      filled.push_back(it);
    }
    cv.notify_all();
  }
  {
    std::lock_guard lock(m);
    done = true;
  }
  cv.notify_all();
  read_thread.join();
  for (auto& t : threads) t.join();
  if (error) return std::unexpected(*error);
  return {};
}

}  // namespace wslplug::signing
