# The guest's reboot (PSCI SYSTEM_RESET, KVM_EXIT_SYSTEM_EVENT type RESET) ends microvm with
# status 0, like poweroff (t-boot).
. /lane/lib.sh
require_kvm
write_config "$TMP/rb.toml" 1 256M
run_vm rb "$TMP/rb.toml" "l2.test=reboot"
l2_ok
expect_status 0
pass "guest reboot -> status 0 ($VM_SECS s)"
