/** Hook health: turns delivery outcomes into subscription health transitions (filled in as it lands). */
export {};
