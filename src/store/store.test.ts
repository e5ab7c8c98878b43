import { describeEachStore } from '../../test/harness/each-store.js';
import { defineStoreConformance } from './conformance/store-conformance.js';

describeEachStore('store conformance', (kind) => defineStoreConformance(kind.open));
