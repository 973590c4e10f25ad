// SPDX-License-Identifier: MIT
/*
 * microvm guest /init, first stage: mounts /dev (devtmpfs), /proc and /sys, puts /dev/console on
 * fds 0-2, prints MICROVM-INIT-START, writes the boot-timer byte (0x60 to I/O port 0x440 through
 * /dev/port: a kernel-mode outb, user-mode port I/O would need ioperm), then becomes the shell
 * stage: exec /bin/sh /lib/init.sh (guest/init/init.sh).
 *
 * In C with raw system calls and no libc, because on a KVM that emulates guest kernel mode every
 * fork+exec of busybox costs ~1 M emulated instructions: the shell version of these steps (three
 * `mount`s and a `printf | dd` pipeline) cost 5 M, 15% of the boot to the marker.
 * Built with: gcc -static -nostdlib -ffreestanding -fno-stack-protector -Os
 */
#include <asm/unistd.h>
#include <fcntl.h>

#define PORT_BOOT_TIMER 0x440

static long sys(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys(__NR_write, 1, (long)s, (long)slen(s), 0, 0);
}

static void mnt(const char *type, const char *dir)
{
	if (sys(__NR_mount, (long)type, (long)dir, (long)type, 0, 0) < 0) {
		say("init: mount ");
		say(dir);
		say(" failed\n");
	}
}

static void boot_timer(void)
{
	char byte = 0x60;
	long fd = sys(__NR_open, (long)"/dev/port", O_WRONLY | O_CLOEXEC, 0, 0, 0);

	if (fd < 0 || sys(__NR_pwrite64, fd, (long)&byte, 1, PORT_BOOT_TIMER, 0) != 1)
		say("init: no /dev/port\n");
	if (fd >= 0)
		sys(__NR_close, fd, 0, 0, 0, 0);
}

static void __attribute__((used)) init_main(long *sp)
{
	long argc = sp[0];
	char **envp = (char **)(sp + argc + 2);
	char *argv[] = { "sh", "/lib/init.sh", 0 };
	long fd;

	mnt("devtmpfs", "/dev");
	fd = sys(__NR_open, (long)"/dev/console", O_RDWR, 0, 0, 0);
	if (fd >= 0) {
		for (long i = 0; i < 3; i++)
			if (fd != i)
				sys(__NR_dup2, fd, i, 0, 0, 0);
		if (fd > 2)
			sys(__NR_close, fd, 0, 0, 0, 0);
	}
	mnt("proc", "/proc");
	mnt("sysfs", "/sys");
	say("MICROVM-INIT-START\n");
	boot_timer();
	sys(__NR_execve, (long)"/bin/sh", (long)argv, (long)envp, 0, 0);
	say("init: cannot exec /bin/sh\n");
	/* LINUX_REBOOT_MAGIC1, MAGIC2, CMD_RESTART: the guest resets, microvm ends */
	sys(__NR_reboot, 0xfee1dead, 672274793, 0x01234567, 0, 0);
}

/* The kernel enters with the stack holding argc, argv[], 0, envp[], 0. */
__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call init_main\n"
	"	hlt\n");
