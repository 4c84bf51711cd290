// The screens follow the disk while they are open: photos dropped into or removed from a watched
// folder reach the Library grid, the Duplicates review, the Map and the Clusters without a
// reload, each screen watched while the change happens. The page is marked at the start and the
// mark checked at the end, so a reload anywhere would fail the spec.
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import sharp from 'sharp';
import { makeDetailedImage } from '../test/fixtures/images.ts';
import { expect, test } from './fixtures.ts';

/** The watcher, the decode worker and a reanalysis under CI load: generous, never a sleep. */
const LIVE = { timeout: 90_000 };

test.use({ photoFolder: { jpegs: 8, artworks: 8, emoji: 10 } });

/** The number at the start of a text such as "6 groups" or "1,204". */
async function leadingNumber(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).first().textContent()) ?? '';
  const match = /^[\d,]+/.exec(text.trim());
  return match ? Number(match[0].replace(/,/g, '')) : Number.NaN;
}

/** Photos over all cluster cards. */
async function clusteredPhotos(page: Page): Promise<number> {
  const sizes = await page.getByTestId('cluster-size').allTextContents();
  return sizes.reduce((sum, text) => sum + Number(/[\d,]+/.exec(text)?.[0].replace(/,/g, '')), 0);
}

test('every screen follows photos added to and removed from a watched folder', async ({ app }) => {
  test.setTimeout(420_000);
  const { page, photos } = app;
  const nav = page.getByRole('navigation', { name: 'Screens' });
  const camera = join(photos.dir, 'Camera');
  let seed = 700;
  /** A new camera-like photo, written elsewhere and moved in whole, as a sync client would. */
  const addPhoto = async (name: string, bytes?: Buffer) => {
    const incoming = join(app.scratch, `incoming-${name}`);
    await writeFile(
      incoming,
      bytes ?? (await makeDetailedImage({ width: 900, height: 600, seed: seed++ })),
    );
    await rename(incoming, join(camera, name));
  };

  await app.addFolder(photos.dir);
  await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), LIVE);
  await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', LIVE);
  await page.evaluate('window.__shoeboxLive = "the same page"');
  let count = photos.images;

  await test.step('the Library grid counts photos as they come and go', async () => {
    await addPhoto('NEW_0001.jpg');
    await addPhoto('NEW_0002.jpg');
    count += 2;
    await expect(page.getByTestId('photo-count')).toHaveText(String(count), LIVE);
    const grid = page.getByTestId('photo-grid');
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('name');
    await expect(grid.getByRole('gridcell', { name: 'NEW_0001.jpg' })).toHaveCount(1);

    await rm(join(camera, 'NEW_0002.jpg'));
    count -= 1;
    await expect(page.getByTestId('photo-count')).toHaveText(String(count), LIVE);
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', LIVE);
  });

  await test.step('the Duplicates review shows a new group for a near copy', async () => {
    await nav.getByRole('link', { name: 'Duplicates' }).click();
    await expect(page.getByTestId('group-count')).toBeVisible(LIVE);
    const groups = await leadingNumber(page, 'group-count');
    // What a messenger makes of a photo: smaller and recompressed.
    const shared = await sharp(join(camera, 'IMG_2043.jpg'))
      .resize({ width: 640 })
      .jpeg({ quality: 70 })
      .toBuffer();
    await addPhoto('IMG_2043 shared.jpg', shared);
    count += 1;
    await expect.poll(() => leadingNumber(page, 'group-count'), LIVE).toBe(groups + 1);
    // The new group is the copy with its original.
    const members = page.getByTestId('compare-member');
    const list = page.locator('.dup-group');
    await expect
      .poll(async () => {
        for (let i = 0; i < (await list.count()); i++) {
          await list.nth(i).click();
          if ((await members.filter({ hasText: 'IMG_2043 shared.jpg' }).count()) > 0) {
            return (await members.allTextContents()).some((t) => t.includes('IMG_2043.jpg'));
          }
        }
        return false;
      }, LIVE)
      .toBe(true);
  });

  await test.step('the Map gains the new points', async () => {
    await nav.getByRole('link', { name: 'Map' }).click();
    const canvas = page.getByTestId('map-canvas');
    await expect(canvas).toHaveAttribute('data-point-count', String(count), LIVE);
    await addPhoto('NEW_0003.jpg');
    await addPhoto('NEW_0004.jpg');
    count += 2;
    await expect(canvas).toHaveAttribute('data-point-count', String(count), LIVE);
    await expect(page.getByRole('img', { name: `Map of ${count} photos` })).toBeVisible();
    // All in view on a small map, each drawn as its thumbnail, the new ones too.
    await expect(canvas).toHaveAttribute('data-thumbnails', String(count), LIVE);
  });

  await test.step('Clusters refresh their cards and an open cluster’s members', async () => {
    await nav.getByRole('link', { name: 'Clusters' }).click();
    await expect(page.getByTestId('cluster-card').first()).toBeVisible(LIVE);
    await expect.poll(() => clusteredPhotos(page), LIVE).toBe(count);
    await addPhoto('NEW_0005.jpg');
    count += 1;
    await expect.poll(() => clusteredPhotos(page), LIVE).toBe(count);

    // A fixed k keeps the clusters (and so the open one) in place while a photo goes.
    await page.getByRole('spinbutton', { name: 'Number of clusters' }).fill('3');
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    const cards = page.getByTestId('cluster-card');
    await expect(cards).toHaveCount(3, LIVE);
    const sizes = await page.getByTestId('cluster-size').allTextContents();
    const biggest = sizes
      .map((text, i) => ({ i, size: Number(/\d+/.exec(text)?.[0]) }))
      .sort((a, b) => b.size - a.size)[0];
    expect(biggest && biggest.size).toBeGreaterThanOrEqual(3);
    await cards.nth(biggest?.i ?? 0).click();
    const members = page.getByTestId('cluster-members').locator('li');
    await expect(members).toHaveCount(biggest?.size ?? 0);
    // The member farthest from the medoid goes (never the medoid itself).
    const gone = (await members.last().locator('.result-name').getAttribute('title')) ?? '';
    expect(gone.startsWith(photos.dir)).toBe(true);
    await rm(gone);
    count -= 1;
    await expect
      .poll(async () => {
        const shown = await page.getByTestId('cluster-members').locator('.result-name').all();
        const titles = await Promise.all(shown.map((n) => n.getAttribute('title')));
        const header = await leadingNumber(page, 'open-cluster-size');
        return !titles.includes(gone) && titles.length === header;
      }, LIVE)
      .toBe(true);
    await page.getByRole('button', { name: '← All clusters' }).click();
    await expect.poll(() => clusteredPhotos(page), LIVE).toBe(count);
  });

  await test.step('back in the Library, the count is right, and the page never reloaded', async () => {
    await nav.getByRole('link', { name: 'Library' }).click();
    await expect(page.getByTestId('photo-count')).toHaveText(String(count), LIVE);
    expect(await page.evaluate('window.__shoeboxLive')).toBe('the same page');
  });
});
