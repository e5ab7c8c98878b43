import { describeEachStore } from '../../test/harness/each-store.js';
import { defineStoreConformance } from './conformance/store-conformance.js';
import { defineChatStoreConformance } from './conformance/chat-conformance.js';

describeEachStore('store conformance', (kind) => defineStoreConformance(kind.open));
describeEachStore('chat store conformance', (kind) => defineChatStoreConformance(kind.open));
