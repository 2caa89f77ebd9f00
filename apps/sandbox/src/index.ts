/** The sandbox's public surface (filled in as the world, hosts and report land). */
export {};
