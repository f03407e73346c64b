// Vite bundles plain CSS imported for its side effect; there is nothing to type.
declare module '*.css';
