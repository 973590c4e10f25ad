// SPDX-License-Identifier: MIT
/*
 * kvm-probe: the arm64 lane's check, in L1, that /dev/kvm is a working arm64 KVM before any
 * microvm test runs (independent of microvm). Freestanding (raw system calls, no libc: the
 * lane's L1 has none), built by tests/arm64/build-kit.sh with aarch64-linux-gnu-gcc against
 * Debian's arm64 linux-libc-dev headers.
 *
 * It creates a VM and checks the capabilities microvm's arm64 port relies on (PSCI 0.2, IRQFD,
 * IOEVENTFD, SIGNAL_MSI, the IPA size), that a GICv3 and an ITS can be created (test only),
 * then runs one vCPU (preferred target, PSCI 0.2) on six instructions at 0x40000000: a 32-bit
 * store to unbacked 0x10000000 (must exit KVM_EXIT_MMIO with the value) and PSCI SYSTEM_OFF
 * through HVC (must exit KVM_EXIT_SYSTEM_EVENT, SHUTDOWN). Prints one "kvm-probe: ..." line;
 * exits 0 when all holds, 1 otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#include "sys.h"

#define GUEST_CODE	0x40000000UL
#define GUEST_MMIO	0x10000000UL
#define PSCI_SYSTEM_OFF	0x84000008U

void *memset(void *s, int c, size_t n);
void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

static long kioctl(long fd, unsigned long req, long arg)
{
	return sys6(NR_IOCTL, fd, (long)req, arg, 0, 0, 0);
}

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static char line[512];
static size_t used;

static void put(const char *s)
{
	size_t n = slen(s);

	if (used + n >= sizeof(line))
		n = sizeof(line) - 1 - used;
	for (size_t i = 0; i < n; i++)
		line[used++] = s[i];
}

static void putnum(long v)
{
	char b[24];
	int i = sizeof(b) - 1;
	int neg = v < 0;
	unsigned long u = neg ? 0UL - (unsigned long)v : (unsigned long)v;

	b[i] = 0;
	do {
		b[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u && i > 1);
	if (neg)
		b[--i] = '-';
	put(b + i);
}

static __attribute__((noreturn)) void done(int ok)
{
	put("\n");
	sys6(NR_WRITE, 1, (long)line, (long)used, 0, 0, 0);
	sys6(NR_EXIT_GROUP, ok ? 0 : 1, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static __attribute__((noreturn)) void bad(const char *what, long rc)
{
	put("FAIL ");
	put(what);
	put(" (");
	putnum(rc);
	put(")");
	done(0);
}

static void need_cap(long vm, long cap, const char *name)
{
	long rc = kioctl(vm, KVM_CHECK_EXTENSION, cap);

	if (rc <= 0)
		bad(name, rc);
	put(" ");
	put(name);
}

static void try_device(long vm, uint32_t type, const char *name)
{
	struct kvm_create_device d = { .type = type, .flags = KVM_CREATE_DEVICE_TEST };
	long rc = kioctl(vm, KVM_CREATE_DEVICE, (long)&d);

	if (rc < 0)
		bad(name, rc);
	put(" ");
	put(name);
}

static const uint32_t guest[] = {
	0xd2a20001,	/* mov  x1, #0x10000000 */
	0x52800842,	/* mov  w2, #0x42 */
	0xb9000022,	/* str  w2, [x1] */
	0x52800100,	/* mov  w0, #0x8 */
	0x72b08000,	/* movk w0, #0x8400, lsl #16: PSCI SYSTEM_OFF */
	0xd4000002,	/* hvc  #0 */
	0x14000000,	/* b    . */
};

__attribute__((used)) void cmain(void);
void cmain(void)
{
	long kvm, vm, vcpu, rc, msz;
	uint32_t *mem;
	struct kvm_run *run;
	struct kvm_vcpu_init init;
	uint64_t pc = GUEST_CODE;
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      KVM_REG_ARM_CORE_REG(regs.pc),
		.addr = (uint64_t)(uintptr_t)&pc,
	};
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = GUEST_CODE, .memory_size = 0x10000,
	};

	put("kvm-probe:");
	kvm = sys6(NR_OPENAT, AT_FDCWD, (long)"/dev/kvm", O_RDWR | O_CLOEXEC, 0, 0, 0);
	if (kvm < 0)
		bad("open /dev/kvm", kvm);
	rc = kioctl(kvm, KVM_GET_API_VERSION, 0);
	if (rc != KVM_API_VERSION)
		bad("KVM_GET_API_VERSION", rc);
	vm = kioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		bad("KVM_CREATE_VM", vm);
	need_cap(vm, KVM_CAP_ARM_PSCI_0_2, "psci-0.2");
	need_cap(vm, KVM_CAP_IRQFD, "irqfd");
	need_cap(vm, KVM_CAP_IOEVENTFD, "ioeventfd");
	need_cap(vm, KVM_CAP_SIGNAL_MSI, "signal-msi");
	try_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3, "vgic-v3");
	try_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, "vgic-its");
	put(" ipa-bits ");
	putnum(kioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));

	mem = (uint32_t *)sys6(NR_MMAP, 0, 0x10000, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((long)mem < 0 && (long)mem > -4096)
		bad("mmap guest memory", (long)mem);
	for (size_t i = 0; i < sizeof(guest) / sizeof(guest[0]); i++)
		mem[i] = guest[i];
	region.userspace_addr = (uint64_t)(uintptr_t)mem;
	rc = kioctl(vm, KVM_SET_USER_MEMORY_REGION, (long)&region);
	if (rc < 0)
		bad("KVM_SET_USER_MEMORY_REGION", rc);
	vcpu = kioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		bad("KVM_CREATE_VCPU", vcpu);
	msz = kioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (msz < (long)sizeof(*run))
		bad("KVM_GET_VCPU_MMAP_SIZE", msz);
	run = (struct kvm_run *)sys6(NR_MMAP, 0, msz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if ((long)run < 0 && (long)run > -4096)
		bad("mmap kvm_run", (long)run);
	memset(&init, 0, sizeof(init));
	rc = kioctl(vm, KVM_ARM_PREFERRED_TARGET, (long)&init);
	if (rc < 0)
		bad("KVM_ARM_PREFERRED_TARGET", rc);
	put(" target ");
	putnum(init.target);
	init.features[0] |= 1U << KVM_ARM_VCPU_PSCI_0_2;
	rc = kioctl(vcpu, KVM_ARM_VCPU_INIT, (long)&init);
	if (rc < 0)
		bad("KVM_ARM_VCPU_INIT", rc);
	rc = kioctl(vcpu, KVM_SET_ONE_REG, (long)&reg);
	if (rc < 0)
		bad("KVM_SET_ONE_REG pc", rc);

	rc = kioctl(vcpu, KVM_RUN, 0);
	if (rc < 0)
		bad("KVM_RUN", rc);
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != GUEST_MMIO ||
	    !run->mmio.is_write || run->mmio.len != 4 || run->mmio.data[0] != 0x42)
		bad("expected a 4-byte MMIO write of 0x42, exit reason", run->exit_reason);
	put(" mmio-exit");
	rc = kioctl(vcpu, KVM_RUN, 0);
	if (rc < 0)
		bad("KVM_RUN", rc);
	if (run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
	    run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN)
		bad("expected PSCI SYSTEM_OFF as KVM_EXIT_SYSTEM_EVENT, exit reason", run->exit_reason);
	put(" psci-system-off");
	put(" OK");
	done(1);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	bl cmain\n"
	"	b .\n");
