# Freestanding test guest (tests/guest/): included by the top-level Makefile.
#
#   build/tests/guest/testguest.elf    PVH ELF (XEN_ELFNOTE_PHYS32_ENTRY note -> 32-bit entry)
#   build/tests/guest/testguest64.elf  same code, no PVH note: 64-bit boot protocol at e_entry
#
# Both are linked at 1 MiB physical (tests/guest/guest.ld). check-insns.sh rejects a link that
# contains instructions an emulating KVM cannot run at CPL0 (BRIEF section 6).

TG_DIR := tests/guest
TG_OUT := $(BUILD)/tests/guest
TG_CC := gcc
TG_CFLAGS := -std=gnu11 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
	-mgeneral-regs-only -mno-sse -mno-mmx -mno-avx -fno-stack-protector -O2 -static \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-tree-loop-distribute-patterns \
	-fcf-protection=none -mcmodel=small -Wall -Wextra -Werror -g -Isrc -I$(TG_DIR) -MMD -MP
TG_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,$(TG_DIR)/guest.ld -Wl,--build-id=none \
	-Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,--strip-debug

TG_CSRCS := $(wildcard $(TG_DIR)/*.c)
TG_OBJS := $(TG_CSRCS:$(TG_DIR)/%.c=$(TG_OUT)/%.o) $(TG_OUT)/entry.o

$(TG_OUT)/%.o: $(TG_DIR)/%.c
	@mkdir -p $(dir $@)
	$(TG_CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/%.o: $(TG_DIR)/%.S
	@mkdir -p $(dir $@)
	$(TG_CC) $(TG_CFLAGS) -c $< -o $@

$(TG_OUT)/testguest.elf: $(TG_OBJS) $(TG_OUT)/pvh_note.o $(TG_DIR)/guest.ld $(TG_DIR)/check-insns.sh
	$(TG_CC) $(TG_CFLAGS) $(TG_LDFLAGS) $(TG_OBJS) $(TG_OUT)/pvh_note.o -o $@.tmp
	$(TG_DIR)/check-insns.sh $@.tmp && mv $@.tmp $@

$(TG_OUT)/testguest64.elf: $(TG_OBJS) $(TG_DIR)/guest.ld $(TG_DIR)/check-insns.sh
	$(TG_CC) $(TG_CFLAGS) $(TG_LDFLAGS) $(TG_OBJS) -o $@.tmp
	$(TG_DIR)/check-insns.sh $@.tmp && mv $@.tmp $@

test-guest: $(TG_OUT)/testguest.elf $(TG_OUT)/testguest64.elf

-include $(TG_OBJS:.o=.d) $(TG_OUT)/pvh_note.d
