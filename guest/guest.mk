# Guest kit (included by the top-level Makefile). Everything comes from Debian 12 packages
# (apt-get download + dpkg-deb -x, cached in $(MICROVM_CACHE), default /var/cache/microvm).
#
#   make guest-kit        build/guest/vmlinux (microvm kernel, cached by content hash)
#                         + build/guest/initramfs.cpio (busybox /init + guest tests; booted by
#                         configs/default.toml: uncompressed, see build-initramfs.sh)
#                         + build/guest/initramfs.cpio.gz (the same, gzip, for QEMU and users)
#   make guest-kit-stock  build/guest/stock/vmlinuz (Debian bzImage) + its initramfs with the
#                         virtio/virtiofs modules (configs/linux-stock.toml; hardware KVM only)
#
# The guest kit always lives in build/guest (configs/*.toml point there), also when SAN=1.

GUEST_OUT := build/guest
GUEST_INITRD_DEPS := guest/init/init.c guest/init/init.sh guest/init/microvm.sh guest/init/profile \
	$(wildcard guest/tests/*.sh) $(wildcard guest/tools/*.c guest/tools/*.h) src/util/hex.h \
	guest/scripts/build-initramfs.sh guest/scripts/common.sh

.PHONY: guest-kit guest-kit-stock guest-kernel guest-initramfs
guest-kit: guest-kernel guest-initramfs

# The script is cheap when the kernel is cached (hash check only), so it always runs.
guest-kernel:
	@guest/scripts/build-kernel.sh $(GUEST_OUT)

guest-initramfs: $(GUEST_OUT)/initramfs.cpio $(GUEST_OUT)/initramfs.cpio.gz

$(GUEST_OUT)/initramfs.cpio $(GUEST_OUT)/initramfs.cpio.gz: $(GUEST_OUT)/%: $(GUEST_INITRD_DEPS)
	@guest/scripts/build-initramfs.sh $@

guest-kit-stock:
	@guest/scripts/build-stock.sh $(GUEST_OUT)/stock
