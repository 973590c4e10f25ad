/* SPDX-License-Identifier: MIT */
/*
 * Raw aarch64 Linux system calls for the lane's freestanding programs (kvm-probe.c in L1,
 * l2-mmap.c in the DAX L2): neither has a libc. Numbers from the generic syscall table.
 */
#ifndef MICROVM_ARM64_LANE_SYS_H
#define MICROVM_ARM64_LANE_SYS_H

#define NR_IOCTL	29
#define NR_OPENAT	56
#define NR_LSEEK	62
#define NR_WRITE	64
#define NR_EXIT_GROUP	94
#define NR_MUNMAP	215
#define NR_MMAP		222
#define NR_MSYNC	227

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#endif
