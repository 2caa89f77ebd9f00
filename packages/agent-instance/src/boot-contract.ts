// Placeholder until the boot-contract schema lands (issue 12).
export const BOOT_CONTRACT_VERSION = 1;
