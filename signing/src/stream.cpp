// The streaming pass over a PE image (see image.hpp): a reader thread fills page-aligned 1 MiB
// buffers, the calling thread hashes them (with several digests, each further one on a thread of
// its own, so a file signed with two algorithms is hashed by two cores at once; a buffer is
// passed on once every digest has it), an optional in-order thread prepares them for the
// output and optional writer threads write them out, each taking the adjacent chunks that are
// ready as one run, so hashing (the critical path) overlaps reading and writing and the device
// gets large writes with the next one queued.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "image.hpp"

namespace wslplug::signing::image {

HashRanges hash_ranges(const SignableLayout& layout) {
  return HashRanges{layout.checksum_offset, layout.cert_dir_offset, layout.signed_data_end()};
}

namespace {

constexpr std::size_t kChunk = 1u << 20;
constexpr std::size_t kBuffers = 8;  // absorbs scheduling delays of the later stages
constexpr unsigned kMaxWriters = 8;
constexpr unsigned kMaxRun = 8;
constexpr std::size_t kAlign = 4096;

// Feeds the bytes of [off, off+data.size()) that the Authenticode hash covers.
bool hash_chunk(const HashRanges& r, std::uint64_t off, std::span<const std::byte> data,
                std::span<ossl::Hasher> hashes) {
  if (hashes.empty()) return true;
  std::array<std::pair<std::uint64_t, std::uint64_t>, 2> skip{};
  std::size_t nskip = 0;
  skip[nskip++] = {r.checksum_offset, r.checksum_offset + 4};
  if (r.cert_dir_offset) skip[nskip++] = {*r.cert_dir_offset, *r.cert_dir_offset + 8};
  std::sort(skip.begin(), skip.begin() + nskip);
  std::uint64_t pos = off;
  const std::uint64_t end = std::min<std::uint64_t>(off + data.size(), r.hash_end);
  bool ok = true;
  auto feed = [&](std::uint64_t a, std::uint64_t b) {
    if (b <= a) return;
    for (auto& h : hashes) ok = h.update(data.subspan(a - off, b - a)) && ok;
  };
  for (std::size_t i = 0; i < nskip && pos < end; ++i) {
    const auto [sa, sb] = skip[i];
    if (sb <= pos) continue;
    if (sa >= end) break;
    feed(pos, std::min(sa, end));
    pos = std::max(pos, sb);
  }
  if (pos < end) feed(pos, end);
  return ok;
}

struct FreeDeleter {
  void operator()(std::byte* p) const noexcept { std::free(p); }
};

// The three stages and the queues between them.
class Pipeline {
 public:
  Pipeline(const InputFile& file, const HashRanges& ranges, std::uint64_t read_end,
           std::span<ossl::Hasher> hashes, const Stages& stages)
      : file_(file), ranges_(ranges), read_end_(read_end), hashes_(hashes), stages_(stages) {}

  Status run() {
    if (auto st = allocate(); !st) return st;
    std::thread reader([this] { read_all(); });
    std::vector<std::thread> hashers;
    for (std::size_t i = 1; i < lanes_; ++i) hashers.emplace_back([this, i] { hash_all(i); });
    std::thread orderer;
    if (stages_.in_order) orderer = std::thread([this] { order_all(); });
    std::vector<std::thread> writers;
    if (stages_.consume) {
      for (unsigned i = 0; i < writer_count(); ++i) writers.emplace_back([this] { consume_all(); });
    }
    hash_all(0);
    for (auto& h : hashers) h.join();
    reader.join();
    if (orderer.joinable()) orderer.join();
    for (auto& w : writers) w.join();
    if (error_) return std::unexpected(*error_);
    return {};
  }

 private:
  struct Item {
    std::size_t buf = 0;
    std::uint64_t off = 0;
    std::size_t n = 0;
  };
  // A queue between two stages, with its own condition variable so a push wakes only a
  // consumer of this queue (one of them), not every thread of the pass.
  struct Queue {
    std::deque<Item> items;
    bool done = false;  // the producer has queued its last item (or failed)
    std::condition_variable cv;
  };

  unsigned writer_count() const { return std::clamp(stages_.writers, 1u, kMaxWriters); }
  std::size_t run_length() const { return std::clamp<std::size_t>(stages_.max_run, 1, kMaxRun); }
  bool later_stages() const { return stages_.in_order || stages_.consume; }
  // The queue of hashing lane `i` (lane 0 on the calling thread).
  Queue& hash_queue(std::size_t i) { return i == 0 ? read_q_ : extra_q_[i - 1]; }

  Status allocate() {
    chunk_ = static_cast<std::size_t>(
        std::min<std::uint64_t>(kChunk, std::max<std::uint64_t>(read_end_, 1)));
    const std::size_t alloc = (chunk_ + kAlign - 1) / kAlign * kAlign;
    // Page-aligned, so the consumer may write them with O_DIRECT.
    // With writers: enough for a whole run on the device while the earlier stages go on (the
    // writers share them: a second run waits for buffers rather than growing the memory).
    // Several hashing lanes: room for the faster one to run ahead of the slower.
    const std::size_t nbuf = later_stages() ? kBuffers + run_length() : lanes_ > 1 ? kBuffers : 4;
    for (std::size_t i = 0; i < nbuf; ++i) {
      storage_.emplace_back(static_cast<std::byte*>(std::aligned_alloc(kAlign, alloc)));
      if (!storage_.back()) return internal_error("out of memory for the I/O buffers");
      bufs_.emplace_back(storage_.back().get(), alloc);
      free_.push_back(i);
    }
    waiting_.assign(nbuf, 0);
    for (std::size_t i = 1; i < lanes_; ++i) extra_q_.emplace_back();
    file_.advise_sequential();
    return {};
  }

  void fail(const Error& e) {
    {
      std::lock_guard lock(m_);
      if (!error_) error_ = e;
      stop_ = true;
    }
    free_cv_.notify_all();
    for (Queue* q : {&read_q_, &hashed_q_, &ordered_q_}) q->cv.notify_all();
    for (Queue& q : extra_q_) q.cv.notify_all();
  }
  std::span<std::byte> span_of(const Item& it) { return {bufs_[it.buf].data(), it.n}; }
  void push(Queue& q, const Item& it) {
    {
      std::lock_guard lock(m_);
      q.items.push_back(it);
    }
    q.cv.notify_one();
  }
  void release(std::size_t buf) {
    {
      std::lock_guard lock(m_);
      free_.push_back(buf);
    }
    free_cv_.notify_one();
  }
  // Waits for an item of `q` (false when the producer of `q` is done and `q` is empty, or on
  // stop).
  bool pop(Queue& q, Item& it) {
    std::unique_lock lock(m_);
    q.cv.wait(lock, [&] { return !q.items.empty() || q.done || stop_; });
    if (stop_ || q.items.empty()) return false;
    it = q.items.front();
    q.items.pop_front();
    return true;
  }
  void finish(Queue& q) {
    {
      std::lock_guard lock(m_);
      q.done = true;
    }
    q.cv.notify_all();
  }

  void read_all() {
    for (std::uint64_t off = 0; off < read_end_;) {
      Item it;
      {
        std::unique_lock lock(m_);
        free_cv_.wait(lock, [&] { return !free_.empty() || stop_; });
        if (stop_) break;
        it.buf = free_.front();
        free_.pop_front();
      }
      it.off = off;
      it.n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_, read_end_ - off));
      Status st = file_.read_at(off, span_of(it));
      if (st && stages_.after_read) st = stages_.after_read(it.off, span_of(it));
      if (!st) {
        fail(st.error());
        break;
      }
      {
        std::lock_guard lock(m_);
        waiting_[it.buf] = lanes_;
        for (std::size_t i = 0; i < lanes_; ++i) hash_queue(i).items.push_back(it);
      }
      for (std::size_t i = 0; i < lanes_; ++i) hash_queue(i).cv.notify_one();
      off += it.n;
    }
    for (std::size_t i = 0; i < lanes_; ++i) finish(hash_queue(i));
  }

  // Lane `lane` feeds every chunk to its hasher; the last lane done with a chunk passes it on.
  // Each lane takes the chunks in file order and a lane passes a chunk on before it counts itself
  // done with the next one, so chunks pass on in file order too (the in-order stage needs it).
  void hash_all(std::size_t lane) {
    const auto mine = hashes_.empty() ? hashes_ : hashes_.subspan(lane, 1);
    Item it;
    while (pop(hash_queue(lane), it)) {
      if (!hash_chunk(ranges_, it.off, span_of(it), mine)) {
        fail(Error{ErrorKind::kInternal, "the digest computation failed: " + ossl::take_errors(),
                   file_.path(), offset_str(it.off),
                   "check the OpenSSL configuration (OPENSSL_CONF and its providers)"});
        break;
      }
      bool last = false;
      {
        std::lock_guard lock(m_);
        last = --waiting_[it.buf] == 0;
      }
      if (!last) continue;
      if (later_stages()) {
        push(hashed_q_, it);
      } else {
        release(it.buf);
      }
    }
    bool last_lane = false;
    {
      std::lock_guard lock(m_);
      last_lane = ++lanes_done_ == lanes_;
    }
    if (last_lane) finish(hashed_q_);
  }

  void order_all() {
    Item it;
    while (pop(hashed_q_, it)) {
      Status st = stages_.in_order(it.off, span_of(it));
      if (!st) {
        release(it.buf);
        fail(st.error());
        break;
      }
      if (stages_.consume) {
        push(ordered_q_, it);
      } else {
        release(it.buf);
      }
    }
    finish(ordered_q_);
  }

  // Waits for an item of `q` like pop, then also takes the items right behind it that continue
  // it in the file (up to `max` in all) and are already queued.
  std::size_t pop_run(Queue& q, std::size_t max, std::array<Item, kMaxRun>& run) {
    std::unique_lock lock(m_);
    q.cv.wait(lock, [&] { return !q.items.empty() || q.done || stop_; });
    if (stop_ || q.items.empty()) return 0;
    std::size_t n = 0;
    run[n++] = q.items.front();
    q.items.pop_front();
    while (n < max && !q.items.empty() && q.items.front().off == run[n - 1].off + run[n - 1].n) {
      run[n++] = q.items.front();
      q.items.pop_front();
    }
    return n;
  }

  void consume_all() {
    // Without an in-order stage the writers take the hashed chunks directly.
    Queue& q = stages_.in_order ? ordered_q_ : hashed_q_;
    const std::size_t max = run_length();
    std::array<Item, kMaxRun> run{};
    std::array<std::span<const std::byte>, kMaxRun> parts{};
    for (std::size_t n; (n = pop_run(q, max, run)) > 0;) {
      for (std::size_t i = 0; i < n; ++i) parts[i] = span_of(run[i]);
      Status st = stages_.consume(run[0].off, std::span(parts.data(), n));
      for (std::size_t i = 0; i < n; ++i) release(run[i].buf);
      if (!st) {
        fail(st.error());
        return;
      }
    }
  }

  const InputFile& file_;
  const HashRanges& ranges_;
  std::uint64_t read_end_;
  std::span<ossl::Hasher> hashes_;
  const Stages& stages_;
  std::size_t lanes_ = std::max<std::size_t>(hashes_.size(), 1);  // hashing threads
  std::size_t chunk_ = kChunk;
  std::vector<std::unique_ptr<std::byte, FreeDeleter>> storage_;
  std::vector<std::span<std::byte>> bufs_;

  std::mutex m_;  // guards the queues, the free list, the lane counts, stop_ and error_
  std::deque<std::size_t> free_;
  std::condition_variable free_cv_;  // the reader waits here for a free buffer
  Queue read_q_;                     // read, waiting to be hashed (by lane 0)
  Queue hashed_q_;                   // hashed, waiting for the in-order stage (or the writers)
  Queue ordered_q_;                  // through the in-order stage, waiting for a writer
  bool stop_ = false;                // an error anywhere: every stage winds down
  std::optional<Error> error_;
  // Lanes 1.. (one thread per further digest): their queues of the chunks read_q_ gets too;
  // per buffer, the lanes that have not hashed it yet; the lanes that have ended.
  std::deque<Queue> extra_q_;
  std::vector<std::size_t> waiting_;
  std::size_t lanes_done_ = 0;
};

}  // namespace

Status stream_image(const InputFile& file, const HashRanges& ranges, std::uint64_t read_end,
                    std::span<ossl::Hasher> hashes, const Stages& stages) {
  Pipeline p(file, ranges, read_end, hashes, stages);
  return p.run();
}

}  // namespace wslplug::signing::image
