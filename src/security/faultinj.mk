# Fault-injection build (test-only). Included by the top-level Makefile.
#
#   make FAULTINJ=1 SAN=1 BUILD=build/faultinj build/faultinj/microvm
#
# Compiles src/security/faultinj.c with -DMICROVM_FAULTINJ and links every program with
# -Wl,--wrap for malloc, calloc, mmap, sendmsg and ioctl, so MICROVM_FAULT="kind:N" can fail
# the N-th call (see src/security/faultinj.h). Needs its own BUILD directory: the objects differ.
ifeq ($(FAULTINJ),1)
ifeq ($(BUILD),build)
$(error FAULTINJ=1 needs its own build directory, e.g. BUILD=build/faultinj)
endif
ifeq ($(BUILD),build/san)
$(error FAULTINJ=1 needs its own build directory, e.g. BUILD=build/faultinj)
endif
CFLAGS += -DMICROVM_FAULTINJ
LDFLAGS += -Wl,--wrap=malloc,--wrap=calloc,--wrap=mmap,--wrap=sendmsg,--wrap=ioctl
endif
