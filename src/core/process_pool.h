// Forked worker processes, each with its own pipe to the parent, and anonymous
// shared memory: the process half of the engine's portability layer (the file
// half is platform.h). R-free. POSIX; Windows, which has no fork(), gets the
// same names (so every caller compiles there unchanged), but a pool or a
// shared mapping cannot be made: callers check fork_available first.
//
// Rules for code that runs in a child: no R API, no printing to R's console,
// no TBB (fork copies only the calling thread, so a TBB pool in the parent is
// a broken pool in the child), and leave by returning from the body (the pool
// then calls child_exit()), never by exit() or by returning from the fork.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "error.h"

namespace parairline {

#ifdef _WIN32
constexpr bool fork_available = false;
#else
constexpr bool fork_available = true;
#endif

// What asking for forked processes gives where fork() does not exist.
constexpr const char* no_fork_message = "forked processes are not available on this system";

// Test-only faults, read in a child so tests can see how a dead or broken
// worker is reported: PARAIRLINE_TEST_CRASH_WORKER=<i> makes worker i
// (counting from 1) die by SIGKILL, "<i>:exit" exit with status 3,
// "<i>:truncate" send half a message and "<i>:hang" sleep 10 s first. Each
// runner acts on those it can (when is its own choice).
enum class TestFault { none, kill, exit, truncate, hang };

inline TestFault test_fault_for(int worker) {
  const char* v = std::getenv("PARAIRLINE_TEST_CRASH_WORKER");
  if (v == nullptr || *v == '\0') return TestFault::none;
  char* end = nullptr;
  const long which = std::strtol(v, &end, 10);
  if (end == v || which != worker + 1) return TestFault::none;
  if (std::strcmp(end, ":exit") == 0) return TestFault::exit;
  if (std::strcmp(end, ":truncate") == 0) return TestFault::truncate;
  if (std::strcmp(end, ":hang") == 0) return TestFault::hang;
  return *end == '\0' ? TestFault::kill : TestFault::none;
}

// How one child ended.
struct WorkerExit {
  int worker = 0;          // 0-based; descriptions count from 1 like R does
  long pid = 0;
  int status = 0;          // raw waitpid() status, meaningful only if `known`
  int exit_code = -1;      // the status it exited with (by child_exit() too), or -1
  int signal = 0;          // the signal that killed it, or 0
  bool known = true;       // false if the status was taken elsewhere (SIGCHLD ignored)
  bool by_us = false;      // we signalled it (Ctrl-C, or stopping the others after a fault)
  bool ok = false;         // exited with status 0
  std::string description;
};

// Exit code of a child whose body threw.
constexpr int child_exception_status = 125;

// How collect() ended.
enum class CollectEnd {
  done,     // every pipe reached EOF and every child was reaped
  stopped,  // tick() returned false; every child has been terminated
  fault     // a child died abnormally; every child has been terminated
};

}  // namespace parairline

#ifndef _WIN32

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <new>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

// How a child leaves (child_exit()): 0, by the exit_group system call (Linux);
// 1, by SIGKILL after writing its status where the parent reads it (macOS and
// the BSDs, which offer no supported way to make a system call). The tests
// also build with 1 on Linux, to run that way here.
#ifndef PARAIRLINE_CHILD_EXIT_BY_SIGNAL
#ifdef __linux__
#define PARAIRLINE_CHILD_EXIT_BY_SIGNAL 0
#else
#define PARAIRLINE_CHILD_EXIT_BY_SIGNAL 1
#endif
#endif
#if !PARAIRLINE_CHILD_EXIT_BY_SIGNAL && !defined(__linux__)
#error "exit_group is Linux's: build with PARAIRLINE_CHILD_EXIT_BY_SIGNAL=1"
#endif

namespace parairline {

static_assert(std::atomic<int>::is_always_lock_free, "a child's exit slot must be lock-free across processes");

namespace process_detail {
// In a child of a ProcessPool: its slot in the pool's shared memory, where
// child_exit() leaves the status (plus 1; 0 means none) before SIGKILL.
inline std::atomic<int>* exit_slot = nullptr;
}  // namespace process_detail

// Dies at once by SIGKILL, which no handler can catch.
[[noreturn]] inline void kill_self() {
  for (;;) ::kill(::getpid(), SIGKILL);
}

// Ends a forked child at once: no atexit handlers, no stdio flushing, no C++
// static destructors, all of which belong to the parent's R session. That is
// _exit(), but R CMD check flags any use of the _exit symbol (rightly, in code
// that runs in R's own process). So on Linux we make the system call
// (exit_group) directly. Elsewhere the child writes its status into its slot
// of the pool's shared memory and kills itself, and the pool reports it as
// having exited with that status.
[[noreturn]] inline void child_exit(int status) {
#if PARAIRLINE_CHILD_EXIT_BY_SIGNAL
  if (process_detail::exit_slot != nullptr) {
    process_detail::exit_slot->store((status & 0xff) + 1, std::memory_order_release);
  }
  kill_self();
#else
  for (;;) ::syscall(SYS_exit_group, status);
#endif
}

// This process's id, and whether process `pid` has ended and been reaped (a
// dead child that its parent has not reaped yet still counts as there).
inline long current_pid() { return static_cast<long>(::getpid()); }
inline bool process_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Writes all of `data`, retrying on EINTR and short writes. Returns false on
// any other error, e.g. EPIPE when the parent has gone away (children ignore
// SIGPIPE, so that arrives here as an error instead of killing the child).
inline bool write_all(int fd, const void* data, std::size_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    ssize_t w = ::write(fd, p, bytes);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    bytes -= static_cast<std::size_t>(w);
  }
  return true;
}

// Anonymous MAP_SHARED memory: forked children see the parent's mapping and
// their writes are visible to the parent (unlike ordinary copy-on-write pages).
// A size of 0 maps nothing and data() is null.
class SharedMapping {
 public:
  SharedMapping() = default;
  explicit SharedMapping(std::size_t bytes) {
    if (bytes == 0) return;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error(errno_message("mmap", errno));
    data_ = p;
    size_ = bytes;
  }
  ~SharedMapping() { release(); }
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  SharedMapping(SharedMapping&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  SharedMapping& operator=(SharedMapping&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  void* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release() noexcept {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
  }
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

class ProcessPool {
 public:
  using Body = std::function<int(int worker, int write_fd)>;
  using Tick = std::function<bool()>;

  // Forks n children. Child i runs body(i, write_fd), where write_fd is the
  // write end of its own pipe to the parent, then leaves by child_exit() with
  // body's return value (125 if it threw). If a pipe or fork fails part-way,
  // the children already started are killed and reaped and
  // std::runtime_error is thrown.
  // A pool is used by one parent thread at a time. Whatever path is taken,
  // the destructor leaves no child and no open pipe (a child that does not
  // die of SIGKILL within kill_wait_ms, stuck in the kernel, is left).
  ProcessPool(int n, const Body& body) {
    if (n < 0) throw std::invalid_argument("ProcessPool: negative number of workers");
    children_.reserve(static_cast<std::size_t>(n));
    exit_slots_ = SharedMapping(static_cast<std::size_t>(n) * sizeof(std::atomic<int>));
    auto* slots = static_cast<std::atomic<int>*>(exit_slots_.data());
    for (int i = 0; i < n; ++i) new (slots + i) std::atomic<int>(0);
    const pid_t parent = ::getpid();
    for (int i = 0; i < n; ++i) {
      int fds[2];
      if (make_pipe(fds) != 0) fail_start("pipe", errno);
      const pid_t pid = ::fork();
      if (pid < 0) {
        const int err = errno;
        ::close(fds[0]);
        ::close(fds[1]);
        fail_start("fork", err);
      }
      if (pid == 0) child_main(i, fds[1], body, parent, slots + i);
      ::close(fds[1]);
      Child c;
      c.pid = pid;
      c.read_fd = fds[0];
      c.exit_slot = slots + i;
      children_.push_back(c);
      // Non-blocking so that draining one pipe can never stall the others.
      const int flags = ::fcntl(fds[0], F_GETFL);
      if (flags < 0 || ::fcntl(fds[0], F_SETFL, flags | O_NONBLOCK) < 0) fail_start("fcntl", errno);
    }
  }

  ~ProcessPool() { shutdown(); }
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  int size() const { return static_cast<int>(children_.size()); }
  long pid(int w) const { return static_cast<long>(children_.at(static_cast<std::size_t>(w)).pid); }

  // True once worker w's pipe has reached EOF.
  bool closed(int w) const { return children_.at(static_cast<std::size_t>(w)).read_fd < 0; }

  // Reads every child's pipe into out[i] until all have reached EOF and
  // every child is reaped (exits() then says how each ended). Reads
  // continuously, so a child may write more than a pipe buffer. A child whose
  // pipe ends is reaped at once: if it died abnormally, the others are
  // terminated and collect returns `fault`. Calls tick() about every slice_ms;
  // if it returns false the children are terminated and collect returns
  // `stopped`.
  CollectEnd collect(std::vector<std::string>& out, const Tick& tick, int slice_ms = 50) {
    out.assign(children_.size(), std::string());
    const auto slice = std::chrono::milliseconds(std::max(1, slice_ms));
    auto next_tick = Clock::now() + slice;
    std::vector<pollfd> fds;
    std::vector<std::size_t> owner;
    std::vector<char> buffer(1 << 16);
    for (;;) {
      fds.clear();
      owner.clear();
      bool exiting = false;  // a pipe has ended but its child is not reaped yet
      for (std::size_t i = 0; i < children_.size(); ++i) {
        Child& c = children_[i];
        if (c.read_fd < 0) {
          if (!try_reap(c)) exiting = true;
          if (failed(c)) {
            terminate();
            return CollectEnd::fault;
          }
          continue;
        }
        fds.push_back(pollfd{c.read_fd, POLLIN, 0});
        owner.push_back(i);
      }
      if (fds.empty() && !exiting) return CollectEnd::done;
      // A child that has closed its pipe is usually reaped within microseconds.
      const int timeout = exiting ? std::min(1, ms_until(next_tick)) : ms_until(next_tick);
      const int r = ::poll(fds.empty() ? nullptr : fds.data(), static_cast<nfds_t>(fds.size()), timeout);
      if (r < 0 && errno != EINTR && errno != EAGAIN) {
        const int err = errno;
        terminate();
        throw std::runtime_error(errno_message("poll", err));
      }
      for (std::size_t k = 0; r > 0 && k < fds.size(); ++k) {
        if (fds[k].revents != 0) drain(children_[owner[k]], out[owner[k]], buffer);
      }
      if (Clock::now() >= next_tick) {
        if (tick && !tick()) {
          terminate();
          return CollectEnd::stopped;
        }
        next_tick = Clock::now() + slice;
      }
    }
  }

  // SIGTERM to every live child, up to grace_ms for them to go, then SIGKILL
  // and a bounded wait; closes the pipes.
  void terminate(int grace_ms = 200) {
    signal_live(SIGTERM);
    wait_all_until(Clock::now() + std::chrono::milliseconds(std::max(0, grace_ms)));
    shutdown();
  }

  // Every child reaped so far, with how it ended.
  std::vector<WorkerExit> exits() const {
    std::vector<WorkerExit> out;
    out.reserve(children_.size());
    for (std::size_t i = 0; i < children_.size(); ++i) {
      const Child& c = children_[i];
      if (!c.reaped && !c.lost) continue;
      WorkerExit e;
      e.worker = static_cast<int>(i);
      e.pid = static_cast<long>(c.pid);
      e.status = c.status;
      e.exit_code = c.exit_code;
      e.signal = c.signal;
      e.known = c.known;
      e.by_us = c.signalled;
      e.ok = c.reaped && c.known && c.exit_code == 0;
      e.description = c.lost ? describe_lost(e) : describe(e);
      out.push_back(std::move(e));
    }
    return out;
  }

  // The children that failed on their own (not stopped by us): a signal, a
  // non-zero status, a status taken elsewhere, or still there after SIGKILL.
  std::vector<std::string> faults() const {
    std::vector<std::string> out;
    for (const WorkerExit& e : exits()) {
      if (!e.ok && (!e.by_us || !children_[static_cast<std::size_t>(e.worker)].reaped)) out.push_back(e.description);
    }
    return out;
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr int kill_wait_ms = 2000;

  struct Child {
    pid_t pid = -1;
    int read_fd = -1;
    bool reaped = false;
    bool known = true;
    bool signalled = false;  // by us
    bool lost = false;       // not reaped within kill_wait_ms of SIGKILL
    int status = 0;          // raw, from waitpid()
    int exit_code = -1;      // decoded from status (and the exit slot)
    int signal = 0;
    std::atomic<int>* exit_slot = nullptr;
  };

  static int make_pipe(int fds[2]) {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    return ::pipe2(fds, O_CLOEXEC);
#else
    // Not atomic with respect to a concurrent fork+exec elsewhere, which only
    // matters for the brief window before the flags are set.
    if (::pipe(fds) != 0) return -1;
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
  }

  // Everything the child inherited from R that could run R's code or touch
  // the session goes first: signal handlers (R's segfault handler would
  // print, ask on the terminal and delete the session's tempdir), every
  // descriptor but its pipe (R's connections, sockets), stdin and stdout
  // (to /dev/null; stderr stays for sanitizer reports), and core dumps.
  static int start_clean(int write_fd) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &sa, nullptr);  // EINVAL for libc's own: fine
    }
    // EPIPE instead of death if the parent stops reading; Ctrl-C is the
    // parent's to handle (it terminates us).
    sa.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    const int given = write_fd;
    if (write_fd < 3) write_fd = ::fcntl(write_fd, F_DUPFD_CLOEXEC, 3);  // R had no stdio there: move off it
    close_fds_except(write_fd);
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      ::dup2(null_fd, 0);
      ::dup2(null_fd, 1);
      if (given == 2) ::dup2(null_fd, 2);
      if (null_fd > 2) ::close(null_fd);
    }
    return write_fd;
  }

  // Closes every descriptor from 3 up but `keep`.
  static void close_fds_except(int keep) {
#if defined(__linux__) && defined(SYS_close_range)
    const bool low = keep == 3 || ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0;
    if (low && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0) return;
#endif
    struct rlimit lim;
    long most = ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY
                    ? static_cast<long>(lim.rlim_cur)
                    : 65536L;
    most = std::min(most, 1L << 20);
    for (long fd = 3; fd < most; ++fd) {
      if (fd != keep) ::close(static_cast<int>(fd));
    }
  }

  [[noreturn]] static void child_main(int worker, int write_fd, const Body& body, pid_t parent,
                                      std::atomic<int>* exit_slot) noexcept {
    process_detail::exit_slot = exit_slot;
    write_fd = start_clean(write_fd);
#ifdef __linux__
    // No orphans if the parent dies without cleaning up (e.g. SIGKILL). The
    // signal comes when the forking *thread* ends, so fork from a thread that
    // outlives the pool (the R main thread does).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) child_exit(child_exception_status);
#else
    // No parent-death signal here: an orphan stops at its next write to the
    // pipe, which fails once the parent has gone.
    (void)parent;
#endif
    int rc = child_exception_status;
    if (write_fd >= 0) {
      try {
        rc = body(worker, write_fd);
      } catch (...) {
        rc = child_exception_status;
      }
    }
    child_exit(rc & 0xff);
  }

  [[noreturn]] void fail_start(const char* what, int err) {
    shutdown();
    throw std::runtime_error(errno_message(what, err));
  }

  static int ms_until(Clock::time_point t) {
    const auto now = Clock::now();
    if (now >= t) return 0;
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count()) + 1;
  }

  static void nap(long us) {
    timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000L};
    ::nanosleep(&ts, nullptr);  // EINTR just ends the nap early
  }

  // Reads what is available, at most a few MB so one chatty child cannot
  // starve the others or the tick.
  static void drain(Child& c, std::string& out, std::vector<char>& buffer) {
    std::size_t budget = std::size_t(1) << 22;
    while (c.read_fd >= 0 && budget > 0) {
      const ssize_t r = ::read(c.read_fd, buffer.data(), buffer.size());
      if (r > 0) {
        out.append(buffer.data(), static_cast<std::size_t>(r));
        budget -= std::min(budget, static_cast<std::size_t>(r));
      } else if (r < 0 && errno == EINTR) {
        continue;
      } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        ::close(c.read_fd);  // EOF, or an error we cannot recover from
        c.read_fd = -1;
      }
    }
  }

  // True once the child has been reaped (now or earlier). Never blocks.
  static bool try_reap(Child& c) {
    while (!c.reaped) {
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid) {
        c.reaped = true;
        c.lost = false;
        c.status = status;
        c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        c.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        // A child that left by child_exit() through SIGKILL said how first.
        const int slot = c.exit_slot ? c.exit_slot->load(std::memory_order_acquire) : 0;
        if (c.signal == SIGKILL && slot > 0) {
          c.exit_code = slot - 1;
          c.signal = 0;
        }
      } else if (r == 0) {
        return false;
      } else if (errno != EINTR) {
        c.reaped = true;  // ECHILD: the status was taken elsewhere; the pid is no longer ours
        c.known = false;
      }
    }
    return true;
  }

  // A child that ended badly on its own.
  static bool failed(const Child& c) {
    return c.reaped && !c.signalled && !(c.known && c.exit_code == 0);
  }

  // Reaps in short naps until all are reaped or `deadline`; true if all are.
  bool wait_all_until(Clock::time_point deadline) {
    long nap_us = 50;
    for (;;) {
      bool all = true;
      for (Child& c : children_) all = try_reap(c) && all;
      if (all) return true;
      if (Clock::now() >= deadline) return false;
      nap(nap_us);
      nap_us = std::min(nap_us * 2, 2000L);
    }
  }

  // Only unreaped children: their pids cannot have been reused yet. A child
  // that has died on its own is reaped first, so its death stays a fault and
  // is not taken for one we caused (a loaded machine can reach here before
  // collect() has reaped it).
  void signal_live(int sig) {
    for (Child& c : children_) {
      if (c.pid > 0 && !try_reap(c)) {
        ::kill(c.pid, sig);
        c.signalled = true;
      }
    }
  }

  void close_pipes() noexcept {
    for (Child& c : children_) {
      if (c.read_fd >= 0) ::close(c.read_fd);
      c.read_fd = -1;
    }
  }

  // SIGKILL to the live ones and a bounded wait: a child stuck in the kernel
  // (an uninterruptible read of a network file system) is reported as lost,
  // never waited for without limit.
  void shutdown() noexcept {
    signal_live(SIGKILL);
    if (!wait_all_until(Clock::now() + std::chrono::milliseconds(kill_wait_ms))) {
      for (Child& c : children_) c.lost = !c.reaped;
    }
    close_pipes();
  }

  static std::string who(const WorkerExit& e) {
    return "worker " + std::to_string(e.worker + 1) + " (pid " + std::to_string(e.pid) + ")";
  }

  static std::string describe_lost(const WorkerExit& e) {
    return who(e) + " did not end within " + std::to_string(kill_wait_ms / 1000) +
           " s of SIGKILL (stuck in the kernel, perhaps reading a network file system)";
  }

  static std::string describe(const WorkerExit& e) {
    if (!e.known) return who(e) + " ended, but its exit status was taken by someone else (is SIGCHLD ignored?)";
    if (e.exit_code >= 0) {
      const int code = e.exit_code;
      if (code == 0) return who(e) + " exited normally";
      std::string text = who(e) + " exited with status " + std::to_string(code);
      if (code == child_exception_status) text += " (an exception in the worker)";
      return text;
    }
    if (e.signal != 0) {
      const int sig = e.signal;
      const char* name = ::strsignal(sig);
      return who(e) + " was killed by signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")";
    }
    return who(e) + " ended with wait status " + std::to_string(e.status);
  }

  SharedMapping exit_slots_;  // one per child (child_exit() by SIGKILL)
  std::vector<Child> children_;
};

}  // namespace parairline

#else  // _WIN32

namespace parairline {

// No fork(): the names the callers use, none of which can run (a pool or a
// shared mapping throws when made; callers check fork_available first).
[[noreturn]] inline void kill_self() { throw std::logic_error(no_fork_message); }
[[noreturn]] inline void child_exit(int) { throw std::logic_error(no_fork_message); }
inline long current_pid() { return 0; }
inline bool process_gone(long) { return false; }
inline bool write_all(int, const void*, std::size_t) { return false; }

class SharedMapping {
 public:
  SharedMapping() = default;
  explicit SharedMapping(std::size_t bytes) {
    if (bytes > 0) throw std::runtime_error(no_fork_message);
  }
  void* data() const { return nullptr; }
  std::size_t size() const { return 0; }
};

class ProcessPool {
 public:
  using Body = std::function<int(int worker, int write_fd)>;
  using Tick = std::function<bool()>;
  ProcessPool(int, const Body&) { throw std::runtime_error(no_fork_message); }
  int size() const { return 0; }
  long pid(int) const { return 0; }
  bool closed(int) const { return true; }
  CollectEnd collect(std::vector<std::string>&, const Tick&, int = 50) { return CollectEnd::fault; }
  void terminate(int = 200) {}
  std::vector<WorkerExit> exits() const { return {}; }
  std::vector<std::string> faults() const { return {}; }
};

}  // namespace parairline

#endif  // _WIN32
