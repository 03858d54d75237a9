import { FakeLinks } from '../../fakes/fake-links.js';
import { linksConformance } from '../../helpers/links-conformance.js';

linksConformance('fake links', {
  open: async () => new FakeLinks(),
  makeOtherLink: async (links, name) => (links as FakeLinks).addLink(name, 'veth'),
  cleanup: async () => undefined,
});
