/*
 * devs-channel: the command channel's agent inside a Docker sandbox (see docs/design.md, "Command channel").
 *
 * The driver streams this program into the sandbox over the stdin of one engine exec, then speaks frames with it on
 * that exec's stdin and stdout:   [type u8][id u32 big-endian][length u32 big-endian][payload]
 *
 * host -> agent
 *   'S' start: flags u8 (1 merge stderr, 2 flow control, 4 no stdin), argc u32, envc u32, cwd\0 argv...\0 env...\0
 *   'I' stdin bytes;  'C' close stdin;  'K' signal u32 to the command's process group
 *   'A' credit: u32 output bytes the host has consumed
 * agent -> host
 *   'H' hello (id 0): "devs-channel 1";  'P' started: pid u32;  'F' could not start: message
 *   'O' / 'E' stdout / stderr bytes, length 0: end of that stream;  'W' the process ended: status u32, shell-like
 *   (128+signal);  'X' the same status once all its output has been sent: the command is done
 *   'A' credit: u32 stdin bytes the command has taken
 *
 * One thread, one poll loop; each command runs in a process group of its own (setsid), so a signal or a kill
 * reaches its children. Output is sent only while the host has room for it (flow control by credits), so a
 * command that prints without end costs bounded memory on both sides. End of file on stdin means the owner left:
 * every process group started here is SIGKILLed and the agent exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS 1024
#define WINDOW (256 * 1024 - 32 * 1024) /* one chunk over it still fits the host's 256 KiB pipe */
#define CHUNK (32 * 1024)

struct proc {
    uint32_t id;
    pid_t pid;
    int in, out, err;       /* -1 once closed */
    int exited, status;
    uint32_t unacked;       /* bytes sent and not yet consumed by the host */
    int flow;               /* 0: the host takes everything at once (buffered exec) */
    unsigned char *pending; /* stdin received and not yet taken by the command (the host keeps it under WINDOW) */
    size_t npending;
    int close_in;           /* close stdin once pending is written */
};

static struct proc procs[MAX_PROCS];
/* The signal mask outside ppoll (SIGCHLD blocked) and inside it, as the agent started with (commands get this one). */
static sigset_t waiting_mask;
static int nprocs;
static unsigned char rbuf[1 << 20];
static size_t rlen;
static unsigned char obuf[CHUNK];

/* Every process group started here whose members may still live: a command's leader may exit and leave children. */
static pid_t *groups;
static size_t ngroups, cgroups;

static void die_all(void) {
    for (size_t i = 0; i < ngroups; i++) kill(-groups[i], SIGKILL);
    _exit(0);
}

static void remember_group(pid_t pgid) {
    if (ngroups == cgroups) {
        size_t kept = 0; /* forget the groups that have no member left */
        for (size_t i = 0; i < ngroups; i++) {
            if (kill(-groups[i], 0) == 0 || errno != ESRCH) groups[kept++] = groups[i];
        }
        ngroups = kept;
    }
    if (ngroups == cgroups) {
        size_t c = cgroups ? cgroups * 2 : 64;
        pid_t *g = realloc(groups, c * sizeof *g);
        if (!g) { kill(-pgid, SIGKILL); return; }
        groups = g;
        cgroups = c;
    }
    groups[ngroups++] = pgid;
}

static void write_all(const void *p, size_t n) {
    const unsigned char *b = p;
    while (n > 0) {
        ssize_t w = write(1, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die_all(); /* the host is gone */
        }
        b += w;
        n -= (size_t) w;
    }
}

static void put32(unsigned char *b, uint32_t v) {
    b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = v;
}

static uint32_t get32(const unsigned char *b) {
    return ((uint32_t) b[0] << 24) | ((uint32_t) b[1] << 16) | ((uint32_t) b[2] << 8) | b[3];
}

/*
 * Frames to the host are gathered and written once per turn of the loop: each write is a frame of the engine's
 * stream and a wake-up of its copier, and a command's started, end-of-output and exit frames usually come together.
 */
static unsigned char wbuf[4 * CHUNK];
static size_t wlen;

static void flush_frames(void) {
    write_all(wbuf, wlen);
    wlen = 0;
}

static void send_frame(char type, uint32_t id, const void *payload, uint32_t len) {
    if (wlen + 9 + len > sizeof wbuf) flush_frames();
    unsigned char *head = wbuf + wlen;
    head[0] = (unsigned char) type;
    put32(head + 1, id);
    put32(head + 5, len);
    wlen += 9;
    if (len > sizeof wbuf - wlen) {
        flush_frames(); /* larger than the buffer: straight through */
        write_all(payload, len);
        return;
    }
    if (len) memcpy(wbuf + wlen, payload, len);
    wlen += len;
}

static void send_u32(char type, uint32_t id, uint32_t v) {
    unsigned char b[4];
    put32(b, v);
    send_frame(type, id, b, 4);
}

static struct proc *find(uint32_t id) {
    for (int i = 0; i < nprocs; i++) {
        if (procs[i].id == id) return &procs[i];
    }
    return NULL;
}

static void close_fd(int *fd) {
    if (*fd >= 0) { close(*fd); *fd = -1; }
}

static void fail(uint32_t id, const char *what) {
    send_frame('F', id, what, (uint32_t) strlen(what));
}

/* Starts a command: a child in a session (so a process group) of its own, with three pipes. */
static void start(uint32_t id, unsigned char *p, uint32_t len) {
    if (len < 9 || nprocs == MAX_PROCS) { fail(id, "malformed start or too many commands"); return; }
    int flags = p[0];
    uint32_t argc = get32(p + 1), envc = get32(p + 5);
    if (argc == 0 || argc > 65536 || envc > 65536) { fail(id, "malformed start"); return; }
    char **strs = calloc(argc + envc + 3, sizeof(char *));
    if (!strs) { fail(id, "out of memory"); return; }
    unsigned char *s = p + 9, *end = p + len;
    for (uint32_t i = 0; i < 1 + argc + envc; i++) {
        unsigned char *z = memchr(s, 0, (size_t) (end - s));
        if (!z) { free(strs); fail(id, "malformed start"); return; }
        strs[i] = (char *) s;
        s = z + 1;
    }
    char *cwd = strs[0];
    char **argv = strs + 1;
    char **env = strs + 1 + argc + 1;
    memmove(env, strs + 1 + argc, envc * sizeof(char *));
    argv[argc] = NULL;
    env[envc] = NULL;

    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
        free(strs); fail(id, "pipe failed"); return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        free(strs);
        fail(id, "fork failed (the sandbox's process limit?)");
        return;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &waiting_mask, NULL);
        setsid();
        signal(SIGPIPE, SIG_DFL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2((flags & 1) ? out[1] : err[1], 2);
        for (int i = 0; env[i]; i++) putenv(env[i]);
        int code = 0;
        if (cwd[0] && chdir(cwd) != 0) {
            code = 1;
        } else {
            execvp(argv[0], argv);
            code = errno == ENOENT ? 127 : 126;
        }
        /* Say why, as a shell would. */
        const char *why = strerror(errno);
        const char *head = code == 1 ? "devs-channel: cannot enter " : "devs-channel: cannot run ";
        const char *name = code == 1 ? cwd : argv[0];
        write(2, head, strlen(head)); write(2, name, strlen(name)); write(2, ": ", 2); write(2, why, strlen(why));
        write(2, "\n", 1);
        _exit(code);
    }
    close(in[0]); close(out[1]); close(err[1]);
    free(strs);
    remember_group(pid);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    struct proc *pr = &procs[nprocs++];
    memset(pr, 0, sizeof *pr);
    pr->id = id; pr->pid = pid; pr->in = in[1]; pr->out = out[0]; pr->err = err[0];
    pr->flow = (flags & 2) != 0;
    if (flags & 1) close_fd(&pr->err);
    if (flags & 4) close_fd(&pr->in);
    send_u32('P', id, (uint32_t) pid);
    if (pr->err < 0) send_frame('E', id, NULL, 0);
}

/* Forwards what a pipe has; on end of file says so. */
static void pump(struct proc *pr, int *fd, char type) {
    ssize_t n = read(*fd, obuf, sizeof obuf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        close_fd(fd);
        send_frame(type, pr->id, NULL, 0);
        return;
    }
    send_frame(type, pr->id, obuf, (uint32_t) n);
    if (pr->flow) pr->unacked += (uint32_t) n;
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nprocs; i++) {
            if (procs[i].pid == pid) {
                procs[i].exited = 1;
                procs[i].status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                send_u32('W', procs[i].id, (uint32_t) procs[i].status); /* ended; its output may still come */
            }
        }
    }
}

/* A command is done when it has exited and both its outputs have ended; its 'X' goes after all its output. */
static void finish(void) {
    for (int i = 0; i < nprocs; i++) {
        struct proc *pr = &procs[i];
        if (pr->exited && pr->out < 0 && pr->err < 0) {
            send_u32('X', pr->id, (uint32_t) pr->status);
            close_fd(&pr->in);
            free(pr->pending);
            procs[i] = procs[--nprocs];
            i--;
        }
    }
}

static void feed(struct proc *pr);

static void handle(unsigned char type, uint32_t id, unsigned char *p, uint32_t len) {
    struct proc *pr = type == 'S' ? NULL : find(id);
    switch (type) {
    case 'S':
        start(id, p, len);
        break;
    case 'I':
        if (pr && pr->in >= 0 && len > 0) {
            unsigned char *grown = realloc(pr->pending, pr->npending + len);
            if (!grown) die_all();
            memcpy(grown + pr->npending, p, len);
            pr->pending = grown;
            pr->npending += len;
            feed(pr);
        }
        break;
    case 'C':
        if (pr) { pr->close_in = 1; feed(pr); }
        break;
    case 'K':
        if (pr && len == 4) kill(-pr->pid, (int) get32(p));
        break;
    case 'A':
        if (pr && len == 4) pr->unacked = get32(p) > pr->unacked ? 0 : pr->unacked - get32(p);
        break;
    default:
        break;
    }
}

/* Writes what stdin the command takes now; credits the host; closes stdin when asked and drained. */
static void feed(struct proc *pr) {
    size_t done = 0;
    while (pr->in >= 0 && done < pr->npending) {
        ssize_t w = write(pr->in, pr->pending + done, pr->npending - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            done = pr->npending; /* the command closed its stdin: drop the rest, credit it all */
            close_fd(&pr->in);
            break;
        }
        done += (size_t) w;
    }
    if (pr->in < 0) done = pr->npending;
    if (done) {
        memmove(pr->pending, pr->pending + done, pr->npending - done);
        pr->npending -= done;
        send_u32('A', pr->id, (uint32_t) done);
    }
    if (pr->close_in && pr->npending == 0) close_fd(&pr->in);
}

static void sigchld(int sig) {
    (void) sig; /* only wakes poll() */
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--probe") == 0) return 0; /* the build checks that the program runs */
    /* The file this ran from goes at once: a command cannot replace the agent, only start another copy. */
    if (argc > 1) unlink(argv[1]);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sigchld;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    /* SIGCHLD is let in only while ppoll waits: a child that ends between reap() and the wait still wakes it. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &waiting_mask);
    sigdelset(&waiting_mask, SIGCHLD);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    send_frame('H', 0, "devs-channel 1", 14);
    flush_frames();

    struct pollfd fds[1 + 3 * MAX_PROCS];
    struct proc *owner[1 + 3 * MAX_PROCS];
    char kinds[1 + 3 * MAX_PROCS];
    for (;;) {
        reap();
        finish();
        int n = 0;
        fds[n].fd = 0; fds[n].events = POLLIN; owner[n] = NULL; n++;
        for (int i = 0; i < nprocs; i++) {
            struct proc *pr = &procs[i];
            if (pr->flow && pr->unacked >= WINDOW) continue;
            if (pr->out >= 0) { fds[n].fd = pr->out; fds[n].events = POLLIN; owner[n] = pr; kinds[n] = 'O'; n++; }
            if (pr->err >= 0) { fds[n].fd = pr->err; fds[n].events = POLLIN; owner[n] = pr; kinds[n] = 'E'; n++; }
        }
        for (int i = 0; i < nprocs; i++) {
            struct proc *pr = &procs[i];
            if (pr->in >= 0 && pr->npending) { fds[n].fd = pr->in; fds[n].events = POLLOUT; owner[n] = pr; kinds[n] = 'I'; n++; }
        }
        flush_frames();
        int r = ppoll(fds, (nfds_t) n, NULL, &waiting_mask);
        if (r < 0) {
            if (errno == EINTR) continue;
            die_all();
        }
        for (int i = 1; i < n; i++) {
            if (!fds[i].revents) continue;
            if (kinds[i] == 'I') feed(owner[i]);
            else pump(owner[i], kinds[i] == 'O' ? &owner[i]->out : &owner[i]->err, kinds[i]);
        }
        if (fds[0].revents) {
            ssize_t got = read(0, rbuf + rlen, sizeof rbuf - rlen);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) die_all(); /* the owner left */
            if (got > 0) rlen += (size_t) got;
            size_t off = 0;
            while (rlen - off >= 9) {
                uint32_t len = get32(rbuf + off + 5);
                if (len > sizeof rbuf - 9) die_all(); /* not our host */
                if (rlen - off < 9 + (size_t) len) break;
                handle(rbuf[off], get32(rbuf + off + 1), rbuf + off + 9, len);
                off += 9 + len;
            }
            memmove(rbuf, rbuf + off, rlen - off);
            rlen -= off;
        }
    }
}
