// Cluster page: /api/cluster every 2 s (role, epoch, generation, heartbeat
// age, data age as replication lag, health, the leader's active
// notifications) and, where the node serves it,
// /api/storage (buffered/indexed bytes and events).
import { api } from './api.js';
import { h, setChildren, formatTime } from './dom.js';

function bytes(n) {
  if (typeof n !== 'number') return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

function ms(n) {
  if (typeof n !== 'number') return '';
  return n < 1000 ? `${n} ms` : n < 120000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n / 60000)} min`;
}

export function mount(root) {
  const nodes = h('div', {});
  const storage = h('div', {});
  const status = h('div', { class: 'status-line' });
  const notes = h('div', { id: 'cluster-notifications' });
  root.append(h('h3', {}, 'Nodes'), nodes, notes, status, storage);
  let storageSupported = true;
  let timer = null;

  async function refresh() {
    try {
      const list = await api('/api/cluster');
      setChildren(nodes, h('table', { class: 'grid', id: 'cluster-nodes' },
        h('thead', {}, h('tr', {}, ['Name', 'Role', 'Epoch', 'Generation', 'Replication lag', 'Last heartbeat', 'Health', 'API', 'Shard']
          .map(c => h('th', {}, c)))),
        h('tbody', {}, list.map(n => {
          const healthy = n.IsConnected !== false && /^ok$|healthy|in service/i.test(n.Health || 'ok');
          return h('tr', {},
            h('td', { title: n.Id }, n.Name || n.Id),
            h('td', {}, n.IsLeading ? h('strong', {}, n.Role || 'leader') : (n.Role || '')),
            h('td', { class: 'num' }, n.Epoch),
            h('td', { class: 'num mono' }, n.Generation),
            h('td', { class: 'num' }, ms(n.DataAgeMilliseconds)),
            h('td', { class: 'num' }, ms(n.MillisecondsSinceLastHeartbeat)),
            h('td', { class: healthy ? 'health-ok' : 'health-bad' }, n.Health || ''),
            h('td', { class: 'mono' }, n.ApiUri || ''),
            h('td', { class: 'mono' }, n.ShardId || ''));
        }))));
      // Cairn's own notifications (disk, replication) sit on the leader's entry.
      const active = list.flatMap(n => n.Notifications || []);
      setChildren(notes, active.length ? h('ul', { class: 'notifications' }, active.map(x =>
        h('li', {}, `${x.Kind} (${x.Subject}): ${x.Value} over ${x.Threshold}, since ${formatTime(x.SinceUtc)}`))) : null);
      status.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every 2 s`;
    } catch (err) {
      status.textContent = `Cannot read /api/cluster: ${err.message}`;
    }
    if (storageSupported) {
      try {
        const st = await api('/api/storage');
        const rows = Array.isArray(st) ? st : (st.Nodes || [st]);
        setChildren(storage, h('h3', {}, 'Storage'), h('table', { class: 'grid', id: 'cluster-storage' },
          h('thead', {}, h('tr', {}, ['Node', 'Buffered events', 'Buffered bytes', 'Indexed events', 'Indexed bytes (raw)', 'Indexed bytes (stored)', 'Blocks']
            .map(c => h('th', {}, c)))),
          h('tbody', {}, rows.map(s => h('tr', {},
            h('td', {}, s.Name || s.NodeName || s.Id || 'this node'),
            h('td', { class: 'num' }, s.BufferedEvents ?? ''), h('td', { class: 'num' }, bytes(s.BufferedBytes)),
            h('td', { class: 'num' }, s.IndexedEvents ?? ''), h('td', { class: 'num' }, bytes(s.IndexedRawBytes ?? s.IndexedBytes)),
            h('td', { class: 'num' }, bytes(s.IndexedStoredBytes)), h('td', { class: 'num' }, s.BlockCount ?? ''))))));
      } catch (err) {
        // 404: this build has no /api/storage yet; stop asking.
        if (err.status === 404 || err.status === 405) storageSupported = false;
      }
    }
    timer = setTimeout(refresh, 2000);
  }

  refresh();
  return () => clearTimeout(timer);
}
