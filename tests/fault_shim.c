/*
 * LD_PRELOAD fault injector for the crash-safety tests (tests/fault_injection.ts compiles it with `cc`).
 * Kills the process with SIGKILL at the Nth call of one kind whose path contains a pattern, before the call runs:
 *   FAULT_CALL  = rename | unlink | rmdir | trunc | create   (an open() with O_TRUNC, with O_CREAT)
 *   FAULT_MATCH = substring of the path (either path of a rename)
 *   FAULT_NTH   = 1-based count of matching calls (default 1)
 * Unset FAULT_CALL: every call passes through untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int seen = 0;

static void maybe_die(const char *call, const char *a, const char *b) {
  const char *want = getenv("FAULT_CALL");
  const char *match = getenv("FAULT_MATCH");
  if (want == NULL || strcmp(want, call) != 0) return;
  if (match != NULL && !((a && strstr(a, match)) || (b && strstr(b, match)))) return;
  const char *nth = getenv("FAULT_NTH");
  int n = nth ? atoi(nth) : 1;
  if (__atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) == n) kill(getpid(), SIGKILL);
}

/* The next definition of `name` (libc's), looked up once. */
#define REAL(name)                                                                                                 \
  static __typeof__(&name) real_##name = NULL;                                                                     \
  if (!real_##name) real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

int rename(const char *a, const char *b) {
  REAL(rename);
  maybe_die("rename", a, b);
  return real_rename(a, b);
}

int renameat(int fa, const char *a, int fb, const char *b) {
  REAL(renameat);
  maybe_die("rename", a, b);
  return real_renameat(fa, a, fb, b);
}

int renameat2(int fa, const char *a, int fb, const char *b, unsigned int flags) {
  REAL(renameat2);
  maybe_die("rename", a, b);
  return real_renameat2(fa, a, fb, b, flags);
}

int unlink(const char *p) {
  REAL(unlink);
  maybe_die("unlink", p, NULL);
  return real_unlink(p);
}

int unlinkat(int fd, const char *p, int flags) {
  REAL(unlinkat);
  maybe_die((flags & AT_REMOVEDIR) ? "rmdir" : "unlink", p, NULL);
  return real_unlinkat(fd, p, flags);
}

int rmdir(const char *p) {
  REAL(rmdir);
  maybe_die("rmdir", p, NULL);
  return real_rmdir(p);
}

int open(const char *path, int flags, ...) {
  REAL(open);
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
  if (flags & O_TRUNC) maybe_die("trunc", path, NULL);
  if (flags & O_CREAT) maybe_die("create", path, NULL);
  return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  REAL(open64);
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
  if (flags & O_TRUNC) maybe_die("trunc", path, NULL);
  if (flags & O_CREAT) maybe_die("create", path, NULL);
  return real_open64(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) {
  REAL(openat);
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
  if (flags & O_TRUNC) maybe_die("trunc", path, NULL);
  if (flags & O_CREAT) maybe_die("create", path, NULL);
  return real_openat(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...) {
  REAL(openat64);
  mode_t mode = 0;
  if (flags & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }
  if (flags & O_TRUNC) maybe_die("trunc", path, NULL);
  if (flags & O_CREAT) maybe_die("create", path, NULL);
  return real_openat64(dir, path, flags, mode);
}
