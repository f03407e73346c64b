import packageJson from '../../package.json';

/** The version of this build, as the manifest's `toolVersion` and the About box show it. */
export const appVersion: string = packageJson.version;

/** The product's display name. */
export const productName: string = packageJson.productName;
