/** Catalogue-size-independent item representation: hashed attribute rows and a bounded set of id rows (docs/model.md). */
export { murmur3, hashString, bucketOf } from './hash.js';
export { ATTR_HASH_SEED, attrHashOf, hashAttributes, idRowMask } from './rows.js';
export { compactModel, expandRows } from './compact.js';
/** How readers name an item's category and brand: the names a device hashes. */
export { categoryBrandAttrs } from '../data/builder.js';
