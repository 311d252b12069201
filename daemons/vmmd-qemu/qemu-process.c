/* QEMU processes: spawning one detached from the daemon, watching its exit with a pidfd, signalling it. */
#include "qemu-process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "process.h"

/* a QEMU is watched like any process; the type keeps the model's name for it */
struct QemuProcess {
        VmmdPidWatch *watch;
        QemuProcessExitFunc on_exit;
        void *userdata;
};

int qemu_monitor_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        (void) chmod(path, 0600);
        return fd;
}

int qemu_process_spawn(const GPtrArray *argv, int monitor_fd, int log_fd, pid_t *ret_pid) {
        return qemu_process_spawn_fds(argv, monitor_fd, log_fd, NULL, 0, ret_pid);
}

int qemu_process_spawn_fds(const GPtrArray *argv, int monitor_fd, int log_fd, const int *extra_fds, unsigned n_extra,
                           pid_t *ret_pid) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        pid_t pid;

        for (guint i = 0; i < argv->len; i++)
                g_ptr_array_add(args, g_ptr_array_index(argv, i));
        g_ptr_array_add(args, NULL);

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                sigset_t none;
                int null = open("/dev/null", O_RDONLY), high[n_extra + 1];

                /* out of the way first: the dup2s below must not land on an extra fd */
                for (unsigned i = 0; i < n_extra; i++)
                        high[i] = fcntl(extra_fds[i], F_DUPFD_CLOEXEC, 256);

                /* QEMU outlives the daemon: its own session, no blocked signals inherited */
                setsid();
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_DFL);
                if (null >= 0)
                        dup2(null, 0);
                dup2(log_fd, 1);
                dup2(log_fd, 2);
                if (monitor_fd != 3) {
                        dup2(monitor_fd, 3);
                } else {
                        int flags = fcntl(3, F_GETFD);
                        fcntl(3, F_SETFD, flags & ~FD_CLOEXEC);
                }
                for (unsigned i = 0; i < n_extra; i++)
                        if (high[i] < 0 || dup2(high[i], 4 + (int) i) < 0)   /* dup2 clears CLOEXEC */
                                _exit(127);
                syscall(SYS_close_range, 4 + n_extra, ~0U, 0);
                execv(args->pdata[0], (char **) args->pdata);
                dprintf(2, "cannot execute %s: %s\n", (char *) args->pdata[0], strerror(errno));
                _exit(127);
        }
        *ret_pid = pid;
        return 0;
}

static void on_exit_watch(VmmdPidWatch *w, int exit_code, void *userdata) {
        QemuProcess *p = userdata;

        if (p->on_exit)
                p->on_exit(p, p->userdata);
}

int qemu_process_watch(sd_event *event, pid_t pid, QemuProcessExitFunc on_exit, void *userdata, QemuProcess **ret) {
        g_autoptr(QemuProcess) p = g_new0(QemuProcess, 1);
        int r;

        p->on_exit = on_exit;
        p->userdata = userdata;
        r = vmmd_pid_watch_new(event, pid, on_exit_watch, p, &p->watch);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&p);
        return 0;
}

void qemu_process_free(QemuProcess *p) {
        if (!p)
                return;
        vmmd_pid_watch_free(p->watch);
        g_free(p);
}

pid_t qemu_process_pid(const QemuProcess *p) {
        return vmmd_pid_watch_pid(p->watch);
}

int qemu_process_kill(QemuProcess *p, int sig) {
        return vmmd_pid_watch_kill(p->watch, sig);
}

bool qemu_process_matches(pid_t pid, const char *uuid) {
        g_autofree char *file = g_strdup_printf("/proc/%d/cmdline", (int) pid);
        g_autofree char *data = NULL;
        size_t len = 0;

        if (vmmd_read_file(file, &data, &len) < 0)
                return false;
        for (size_t off = 0; off < len; off += strlen(data + off) + 1)
                if (g_str_equal(data + off, "-uuid") && off + 6 < len && g_str_equal(data + off + 6, uuid))
                        return true;
        return false;
}

/* Runs a few real-mode instructions in a scratch VM. A KVM that can create VMs but
 * cannot run a guest's code (nested setups without the CPU features QEMU needs)
 * fails here instead of hanging a guest forever. */
static bool kvm_probe(char **ret_reason) {
        static const unsigned char code[] = {
                0xb0, 0x42,             /* mov al, 0x42 */
                0xe6, 0x80,             /* out 0x80, al */
                0xf4,                   /* hlt */
        };
        struct kvm_cpuid2 *cpuid = NULL;
        struct kvm_userspace_memory_region region = { 0 };
        struct kvm_sregs sregs;
        struct kvm_regs regs = { 0 };
        struct kvm_run *run = MAP_FAILED;
        unsigned char *mem = MAP_FAILED;
        int kvm = -1, vm = -1, vcpu = -1, run_size = 0;
        bool ok = false, saw_io = false, sse3 = false;

        kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        if (kvm < 0) {
                *ret_reason = g_strdup_printf("/dev/kvm: %s", g_strerror(errno));
                goto out;
        }
        if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
                *ret_reason = g_strdup("unexpected KVM API version");
                goto out;
        }
        /* QEMU's default CPU models need SSE3; a KVM that cannot offer it does not boot Linux */
        cpuid = g_malloc0(sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
        cpuid->nent = 256;
        if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
                for (unsigned i = 0; i < cpuid->nent; i++)
                        if (cpuid->entries[i].function == 1 && (cpuid->entries[i].ecx & 1))
                                sse3 = true;
        if (!sse3) {
                *ret_reason = g_strdup("KVM does not offer the CPU features guests need (no SSE3 in its CPUID)");
                goto out;
        }
        vm = ioctl(kvm, KVM_CREATE_VM, 0);
        if (vm < 0) {
                *ret_reason = g_strdup_printf("cannot create a KVM virtual machine: %s", g_strerror(errno));
                goto out;
        }
        mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED)
                goto out;
        memcpy(mem, code, sizeof(code));
        region = (struct kvm_userspace_memory_region) { .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000,
                                                         .userspace_addr = (unsigned long) mem };
        if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
                goto out;
        vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
        run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (vcpu < 0 || run_size <= 0) {
                *ret_reason = g_strdup_printf("cannot create a KVM vCPU: %s", g_strerror(errno));
                goto out;
        }
        run = mmap(NULL, (size_t) run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
        if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
                goto out;
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
        regs.rip = 0x1000;
        regs.rflags = 2;
        if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
                goto out;
        for (int i = 0; i < 4; i++) {
                if (ioctl(vcpu, KVM_RUN, 0) < 0)
                        break;
                if (run->exit_reason == KVM_EXIT_IO)
                        saw_io = true;
                else if (run->exit_reason == KVM_EXIT_HLT) {
                        ok = saw_io;
                        break;
                } else
                        break;
        }
        if (!ok)
                *ret_reason = g_strdup("KVM cannot run guest code on this host");
out:
        if (!ok && !*ret_reason)
                *ret_reason = g_strdup("KVM cannot run guests on this host");
        if (run != MAP_FAILED)
                munmap(run, (size_t) run_size);
        if (mem != MAP_FAILED)
                munmap(mem, 0x1000);
        if (vcpu >= 0)
                close(vcpu);
        if (vm >= 0)
                close(vm);
        if (kvm >= 0)
                close(kvm);
        g_free(cpuid);
        return ok;
}

bool qemu_kvm_usable(char **ret_reason) {
        static int usable = -1;
        static char *reason;

        if (usable < 0) {
                usable = kvm_probe(&reason);
                if (!usable)
                        log_info("KVM is not usable: %s", reason);
        }
        if (!usable && ret_reason)
                *ret_reason = g_strdup(reason);
        return usable;
}
