// The analysis screens over a real engine and real photos with planted near-duplicates (an exact
// copy, a resized copy, a recompressed one, one re-saved as WebP): review duplicates with the
// slider, remove one and undo it, apply every suggestion and restore from the trash, open a
// cluster, export it and copy its photos to a folder, search by colour, ask about a dropped file, and explore the map. One
// spec, so the library is indexed once (two shared cores). In the browser shell the screenshots
// are the README's pictures (docs/screenshots).
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { snapshotFiles } from '../test/helpers/file-snapshot.ts';
import { expect, test } from './fixtures.ts';

const screenshots = join(import.meta.dirname, '..', 'docs', 'screenshots');

async function shot(page: Page, shell: string, name: string): Promise<void> {
  if (shell !== 'browser') return;
  await mkdir(screenshots, { recursive: true });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** The number at the start of a text such as "6 groups" or "13 photos". */
async function leadingNumber(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? '';
  const match = /^[\d,]+/.exec(text.trim());
  if (!match) throw new Error(`No number in ${testId}: "${text}"`);
  return Number(match[0].replace(/,/g, ''));
}

/** What the map step uses of the canvas element in the page (this config has no DOM types). */
interface PageCanvas {
  getContext(kind: 'webgl2'): {
    getExtension(name: 'WEBGL_lose_context'): {
      loseContext(): void;
      restoreContext(): void;
    } | null;
  } | null;
  restore?: () => void;
}

/**
 * Distinct colours in the map canvas as shown (its upper part, clear of the legend): a hundred
 * or so for dots and flat placeholders, tens of thousands once photos are drawn.
 */
async function canvasColours(page: Page): Promise<number> {
  const box = await page.getByTestId('map-canvas').boundingBox();
  if (!box) throw new Error('The map has no box.');
  const png = await page.screenshot({
    clip: { x: box.x, y: box.y, width: box.width, height: box.height * 0.8 },
  });
  const { data } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const seen = new Set<number>();
  for (let i = 0; i + 2 < data.length; i += 3) {
    seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  }
  return seen.size;
}

/** Moves the pointer across the map until a preview shows; returns where it did. */
async function findPreview(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
): Promise<[number, number]> {
  const preview = page.getByTestId('map-preview');
  for (let fy = 0.1; fy < 0.9; fy += 0.05) {
    for (let fx = 0.1; fx < 0.9; fx += 0.04) {
      const spot: [number, number] = [box.x + box.width * fx, box.y + box.height * fy];
      await page.mouse.move(...spot);
      const shown = await preview.waitFor({ timeout: 250 }).then(
        () => true,
        () => false,
      );
      if (shown) return spot;
    }
  }
  throw new Error('No preview anywhere over the map.');
}

test.use({ photoFolder: { jpegs: 12, artworks: 24, emoji: 30, duplicates: true } });

test('duplicates, clusters, colours, similar and the map over real photos', async ({ app }) => {
  test.setTimeout(300_000);
  const { page, photos, shell } = app;
  const nav = page.getByRole('navigation', { name: 'Screens' });

  await app.addFolder(photos.dir);
  await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), {
    timeout: 90_000,
  });
  await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', {
    timeout: 90_000,
  });

  await test.step('the slider regroups: fewer photos group at a stricter threshold', async () => {
    await nav.getByRole('link', { name: 'Duplicates' }).click();
    const slider = page.getByTestId('threshold-slider');
    await expect(page.getByTestId('group-count')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('histogram')).toBeVisible();
    // Every planted copy is found at the default threshold, the exact copy as identical.
    const members = page.getByTestId('compare-member');
    await expect(page.locator('.dup-group .tier-identical')).toHaveCount(1);
    await page.locator('.dup-group', { has: page.locator('.tier-identical') }).click();
    await expect(members.filter({ hasText: 'IMG_2041 copy.jpg' })).toBeVisible();
    await expect(members.filter({ hasText: 'Suggested keeper' })).toHaveCount(1);
    await shot(page, shell, 'duplicates');

    const loose = await leadingNumber(page, 'grouped-photos');
    await slider.fill('0.999');
    await expect(page.getByTestId('threshold-value')).toHaveText('0.999');
    await expect.poll(() => leadingNumber(page, 'grouped-photos')).toBeLessThan(loose);
    await expect(page).toHaveURL(/[?&]t=0\.999/);
    // The planted copies survive a strict threshold: they are near-identical.
    expect(await leadingNumber(page, 'group-count')).toBeGreaterThanOrEqual(
      photos.duplicates.copies.length,
    );
  });

  await test.step('removing a duplicate moves it to the trash, and Undo brings it back', async () => {
    const groups = await leadingNumber(page, 'group-count');
    const removed = page.getByTestId('compare-member').filter({
      has: page.getByRole('checkbox', { name: 'Keep', checked: false }),
    });
    await expect(removed).toHaveCount(1);
    const path = await removed.locator('.compare-name').getAttribute('title');
    expect(path && existsSync(path)).toBe(true);
    await page.keyboard.press('Delete');
    const toast = page.getByTestId('toast');
    await expect(toast).toContainText(/Moved 1 photo \([\d.]+ [KM]B\) from this group/);
    expect(existsSync(path as string)).toBe(false);
    await expect.poll(() => leadingNumber(page, 'group-count')).toBe(groups - 1);
    await shot(page, shell, 'duplicates-undo');
    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect(toast).toContainText('Restored 1 photo');
    expect(existsSync(path as string)).toBe(true);
    // The watcher sees the file come back, and its group with it.
    await expect.poll(() => leadingNumber(page, 'group-count'), { timeout: 30_000 }).toBe(groups);
  });

  await test.step('"not duplicates" is remembered, and every key is in the ? overlay', async () => {
    const groups = await leadingNumber(page, 'group-count');
    await page.getByTestId('threshold-slider').blur();
    await page.keyboard.press('n');
    await expect(page.getByTestId('toast')).toContainText('not duplicates');
    await expect.poll(() => leadingNumber(page, 'group-count')).toBe(groups - 1);
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(help).toContainText('Remove the others to Shoebox’s trash');
    await expect(help).toContainText('Not duplicates (remembered)');
    await page.keyboard.press('Escape');
    await page.reload();
    await expect(page.getByTestId('threshold-value')).toHaveText('0.999');
    await expect.poll(() => leadingNumber(page, 'group-count')).toBe(groups - 1);
  });

  await test.step('apply suggestions says what it moves, and the trash restores it', async () => {
    const groups = await leadingNumber(page, 'group-count');
    await page.keyboard.press('a');
    const confirm = page.getByRole('dialog', { name: 'Apply suggestions' });
    await expect(confirm).toContainText(`from ${groups} group`);
    const files = Number(/Move ([\d,]+) files?/.exec((await confirm.textContent()) ?? '')?.[1]);
    expect(files).toBeGreaterThanOrEqual(groups);
    await shot(page, shell, 'duplicates-apply');
    await confirm.getByRole('button', { name: /to the trash/ }).click();
    await expect(page.getByTestId('toast')).toContainText(`Moved ${files} photo`);

    await page.getByRole('link', { name: 'Settings' }).click();
    const trash = page.getByTestId('trash');
    await expect(
      trash.getByRole('list', { name: 'Photos in the trash' }).locator('li'),
    ).toHaveCount(files);
    await trash.scrollIntoViewIfNeeded();
    await shot(page, shell, 'settings-trash');
    await trash.getByRole('button', { name: 'Restore all' }).click();
    await expect(trash).toContainText(`Restored ${files} photo`);
    await expect(trash).toContainText('Empty.');
    // Back in place and indexed again before the next screens count photos.
    await nav.getByRole('link', { name: 'Library' }).click();
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images));
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', {
      timeout: 60_000,
    });
  });

  await test.step('clusters open to their members and export as CSV', async () => {
    await nav.getByRole('link', { name: 'Clusters' }).click();
    const cards = page.getByTestId('cluster-card');
    await expect(cards.first()).toBeVisible({ timeout: 60_000 });
    expect(await cards.count()).toBeGreaterThanOrEqual(2);
    await expect(
      page.getByRole('group', { name: 'Silhouette by number of clusters' }),
    ).toBeVisible();
    // Why this k, in words, beside the k control.
    await expect(
      page.getByText(/^k = \d+: .*the largest holds \d+ % of the photos\.$/),
    ).toBeVisible();
    const size = Number(
      /([\d,]+) photos/.exec(
        (await cards.first().getByTestId('cluster-size').textContent()) ?? '',
      )?.[1],
    );
    await cards.first().click();
    const members = page.getByTestId('cluster-members').locator('li');
    await expect(members).toHaveCount(Math.min(size, 200));
    await expect(members.first()).toContainText('medoid');
    await shot(page, shell, 'cluster-members');
    if (shell === 'browser') {
      // The desktop app asks where to save with the native dialog, which a test cannot answer.
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Export CSV' }).click();
      const csv = await readFile((await (await download).path()) as string, 'utf8');
      const lines = csv.trim().split('\n');
      expect(lines[0]).toBe('path,distance');
      expect(lines).toHaveLength(size + 1);
      expect(lines[1]?.startsWith(photos.dir)).toBe(true);
    }
  });

  await test.step('a cluster copies to a folder, leaving the originals as they were', async () => {
    const size = Number(
      /([\d,]+) photos/.exec(
        (await page.getByTestId('open-cluster-size').textContent()) ?? '',
      )?.[1],
    );
    const paths = await page
      .getByTestId('cluster-members')
      .locator('.result-name')
      .evaluateAll((names) => names.map((n) => n.getAttribute('title') ?? ''));
    expect(paths).toHaveLength(size);
    const before = await snapshotFiles(photos.dir);

    await page.getByRole('button', { name: 'Copy to folder…' }).click();
    const form = page.getByRole('form', { name: 'Copy to a folder' });
    const field = form.getByRole('textbox');
    const copy = form.getByRole('button', { name: 'Copy', exact: true });
    // Inside a watched folder the copies would be indexed again: refused, with the reason.
    const inside = join(photos.dir, 'Exported');
    await field.fill(inside);
    await copy.click();
    await expect(form.getByRole('alert')).toContainText(
      'a folder Shoebox watches, so the copies would be indexed again as duplicates',
    );
    expect(existsSync(inside)).toBe(false);

    const destination = join(app.scratch, 'Exported', 'Cluster 1');
    await field.fill(destination);
    await copy.click();
    const result = page.getByTestId('copy-result');
    await expect(result).toContainText(`Copied ${size} photo${size === 1 ? '' : 's'} (`, {
      timeout: 30_000,
    });
    await expect(result).toContainText(`) to ${destination}, a new folder.`);
    expect((await readdir(destination)).sort()).toEqual(paths.map((p) => basename(p)).sort());
    for (const path of paths) {
      expect(await readFile(join(destination, basename(path)))).toEqual(await readFile(path));
    }
    expect(await snapshotFiles(photos.dir)).toEqual(before);
    await shot(page, shell, 'clusters-copy');

    // Asked again, nothing is copied twice and nothing there is overwritten.
    await copy.click();
    await expect(result).toContainText(
      `Nothing new to copy: ${size === 1 ? 'the photo is' : `all ${size} photos are`} already in ${destination}.`,
    );
    expect(await readdir(destination)).toHaveLength(size);
    await form.getByRole('button', { name: 'Close' }).click();
    await expect(form).toBeHidden();
  });

  await test.step('another k can be picked from the curves', async () => {
    const cards = page.getByTestId('cluster-card');
    await page.getByRole('button', { name: '← All clusters' }).click();
    await page.getByRole('spinbutton', { name: 'Number of clusters' }).fill('4');
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    await expect(cards).toHaveCount(4, { timeout: 60_000 });
    await expect(page).toHaveURL(/[?&]k=4/);
    await shot(page, shell, 'clusters');
  });

  await test.step('a photo’s palette finds the photo itself first, and a swatch searches', async () => {
    await nav.getByRole('link', { name: 'Library' }).click();
    // By name, the first photo is an artwork with no planted copy to tie with.
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('name');
    const grid = page.getByTestId('photo-grid');
    await grid.locator('[data-index="0"]').click();
    const viewer = page.getByTestId('viewer');
    const name = (await viewer.getByRole('heading', { level: 2 }).textContent()) ?? '';
    await viewer.getByRole('button', { name: 'Similar by colour' }).click();
    const results = page.getByTestId('results');
    await expect(results.locator('li').first()).toContainText(name, { timeout: 30_000 });
    await expect(results.locator('li').first().getByTestId('score')).toHaveText(
      /^(0\.9\d\d|1\.000)$/,
    );
    await shot(page, shell, 'colours');

    await page.goBack();
    await grid.locator('[data-index="0"]').click();
    const swatch = viewer.getByTestId('palette').getByRole('button').first();
    const hex = /#[0-9a-f]{6}/i.exec((await swatch.getAttribute('aria-label')) ?? '')?.[0];
    await swatch.click();
    await expect(page.getByRole('textbox', { name: 'Colour 1 as hex' })).toHaveValue(
      (hex ?? '').toLowerCase(),
    );
    await expect(page.getByRole('textbox', { name: 'Colour 2 as hex' })).toHaveCount(0);
    await expect(results.locator('li').first()).toBeVisible();
  });

  await test.step('a dropped file is found in the library without being added', async () => {
    const dropped = join(app.scratch, 'from-a-friend.jpg');
    const original = join(photos.dir, 'Camera', 'IMG_2047.jpg');
    await sharp(original).resize({ width: 640 }).jpeg({ quality: 70 }).toFile(dropped);
    await nav.getByRole('link', { name: 'Similar' }).click();
    await page.getByLabel('Choose a photo to compare').setInputFiles(dropped);
    await expect(page.getByTestId('answer')).toContainText('Closest: IMG_2047.jpg');
    await expect(page.getByTestId('results').locator('li').first()).toContainText('IMG_2047.jpg');
    await shot(page, shell, 'similar-dropped');
    // Asked about, never added: the library has as many photos as before.
    await nav.getByRole('link', { name: 'Library' }).click();
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images));
    // Searching by words says why it cannot, with the built-in fingerprint.
    await nav.getByRole('link', { name: 'Similar' }).click();
    await page.getByRole('textbox', { name: 'Describe the photo' }).fill('a red car');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByTestId('text-unavailable')).toContainText('CLIP model');
  });

  await test.step('the map places every photo as its thumbnail; hover previews and click opens', async () => {
    // In the browser, the thumbnails are refused at first: the map shows each photo as its
    // point colour (the placeholder) and asks again a moment later. That is also what a frame
    // without pictures measures as, for the pixel check below.
    let refused = 0;
    const thumbRoute = '**/media/thumb/**';
    if (shell === 'browser') {
      await page.route(thumbRoute, (route) => {
        refused++;
        return route.abort();
      });
    }
    await nav.getByRole('link', { name: 'Map' }).click();
    await expect(page.getByRole('img', { name: `Map of ${photos.images} photos` })).toBeVisible({
      timeout: 60_000,
    });
    // The clusters found above: each one's medoid is ringed (framed in white, zoomed in).
    await expect(page.locator('[data-medoids]')).toHaveAttribute('data-medoids', /^[1-9]\d*$/);
    const canvas = page.getByTestId('map-canvas');
    // A small library: every photo in view, drawn as its thumbnail (the map's data attributes
    // say what the last frame drew).
    await expect(canvas).toHaveAttribute('data-thumbnail-mix', '1.00');
    await expect(canvas).toHaveAttribute('data-thumbnails-wanted', String(photos.images));
    if (shell === 'browser') {
      await expect.poll(() => refused).toBeGreaterThanOrEqual(photos.images);
      await expect(canvas).toHaveAttribute('data-thumbnails', '0');
      await page.mouse.move(0, 0);
      expect(await canvasColours(page)).toBeLessThan(1_000);
      await page.unroute(thumbRoute);
    }
    await expect(canvas).toHaveAttribute('data-thumbnails', String(photos.images), {
      timeout: 30_000,
    });
    await page.mouse.move(0, 0);
    // Photos, not flat squares: tens of thousands of colours where placeholders have a hundred.
    await expect.poll(() => canvasColours(page)).toBeGreaterThan(5_000);
    await shot(page, shell, 'map');

    // A lasso (shift-drag) around the middle of the map selects the photos inside it.
    const box = await canvas.boundingBox();
    if (!box) throw new Error('The map has no box.');
    const corner = (fx: number, fy: number) =>
      [box.x + box.width * fx, box.y + box.height * fy] as const;
    await page.keyboard.down('Shift');
    await page.mouse.move(...corner(0.2, 0.2));
    await page.mouse.down();
    for (const [fx, fy] of [
      [0.8, 0.2],
      [0.8, 0.8],
      [0.2, 0.8],
      [0.2, 0.21],
    ] as const) {
      await page.mouse.move(...corner(fx, fy), { steps: 8 });
    }
    await page.mouse.up();
    await page.keyboard.up('Shift');
    const actions = page.getByTestId('map-actions');
    const selected = Number(/(\d+) selected/.exec((await actions.textContent()) ?? '')?.[1]);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(photos.images);
    await actions.getByRole('button', { name: 'Show as a grid' }).click();
    await expect(page.getByTestId('map-selection').locator('li')).toHaveCount(selected);
    await shot(page, shell, 'map-lasso');
    await actions.getByRole('button', { name: 'Clear' }).click();
    await expect(actions).toBeHidden();

    // Zoomed in on the middle: fewer photos, larger, still pictures.
    await page.mouse.move(...corner(0.5, 0.5));
    for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -240);
    await expect
      .poll(async () => Number(await canvas.getAttribute('data-thumbnails-wanted')))
      .toBeLessThan(photos.images);
    const wanted = Number(await canvas.getAttribute('data-thumbnails-wanted'));
    expect(wanted).toBeGreaterThan(0);
    await expect(canvas).toHaveAttribute('data-thumbnails', String(wanted));
    await page.mouse.move(0, 0);
    await expect.poll(() => canvasColours(page)).toBeGreaterThan(5_000);
    await shot(page, shell, 'map-zoomed');

    // The GPU's context lost and given back (a driver reset): the atlases are made again.
    await canvas.evaluate((element) => {
      const target = element as unknown as PageCanvas;
      const lose = target.getContext('webgl2')?.getExtension('WEBGL_lose_context');
      if (!lose) throw new Error('WEBGL_lose_context is not offered here.');
      lose.loseContext();
      target.restore = () => lose.restoreContext();
    });
    await expect(canvas).toHaveAttribute('data-thumbnails', '0');
    await canvas.evaluate((element) => (element as unknown as PageCanvas).restore?.());
    await expect(canvas).toHaveAttribute('data-thumbnails', String(wanted));
    await expect.poll(() => canvasColours(page)).toBeGreaterThan(5_000);

    // Over a thumbnail, the preview; a click opens the photo.
    const spot = await findPreview(page, box);
    await page.mouse.click(...spot);
    await expect(page.getByTestId('viewer')).toBeVisible();
  });
});
