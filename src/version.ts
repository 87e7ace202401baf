// The gateway's own DICOM implementation identity (PS3.7 D.3.3.2), sent in associations it
// answers or originates itself. The UID is a UUID-derived root (PS3.5 B.2), fixed for this product.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
export const IMPLEMENTATION_CLASS_UID = '2.25.40658234740436770927154110261203337942';
/** 1-16 characters (PS3.7 D.3.3.2). */
export const IMPLEMENTATION_VERSION_NAME = `DTG_${VERSION}`.slice(0, 16);
