# idle: init reached; the guest then waits (for measurements taken while the VM runs; the host
# ends the VMM).
echo "idle: waiting"
sleep 3600
