import { expect, it } from 'vitest';
import { describeEachStore } from '../harness/each-store.js';
import { useDeployment } from '../harness/services.js';
import { SYSTEM_ACTOR } from '../../src/actions/context.js';
import { checkCreateCategory } from '../../src/actions/categories.js';
import { buildCategory } from '../factories.js';

describeEachStore('events after commit', (kind) => {
  const d = useDeployment(kind);

  it('a subscriber sees the committed change when the event arrives', async () => {
    const seen: (string | undefined)[] = [];
    d.services.bus.subscribe(async (event) => {
      if (event.type === 'category.created') seen.push((await d.store.categories.getById(event.categoryId))?.name);
    });
    await checkCreateCategory(d.services, SYSTEM_ACTOR, { name: 'Visible' });
    expect(seen).toEqual(['Visible']);
  });

  it('a refused action publishes nothing', async () => {
    const cat = await buildCategory(d.services);
    const before = d.events.length;
    await expect(checkCreateCategory(d.services, SYSTEM_ACTOR, { name: cat.name })).rejects.toThrow();
    expect(d.events.length).toBe(before);
  });
});
