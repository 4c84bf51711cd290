// No empty screens: Clusters, Colours and Similar each show photos the first time they are
// opened on an indexed library, with no typing and no click on the screen itself: Clusters its
// medoids, Colours the library's own colours with the results of the first, Similar the
// neighbours of a photo it names (the last one opened in the viewer once there is one). A new
// library without photos says what to do instead. In the browser shell the screenshots go to
// docs/screenshots.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const screenshots = join(import.meta.dirname, '..', 'docs', 'screenshots');

async function shot(page: Page, shell: string, name: string): Promise<void> {
  if (shell !== 'browser') return;
  await mkdir(screenshots, { recursive: true });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

/** How many of the images under `scope` have really loaded (decoded, with a width). */
function loadedImages(scope: Locator): Promise<number> {
  return scope
    .locator('img')
    .evaluateAll(
      (images) =>
        images.filter(
          (i) =>
            (i as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (i as unknown as { naturalWidth: number }).naturalWidth > 0,
        ).length,
    );
}

test.describe('first open', () => {
  test.use({ photoFolder: { jpegs: 6, artworks: 12, emoji: 24 } });

  test('Clusters, Colours and Similar show photos at once on an indexed library', async ({
    app,
  }) => {
    test.setTimeout(240_000);
    const { page, photos, shell } = app;
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await app.addFolder(photos.dir);
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), {
      timeout: 90_000,
    });
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', {
      timeout: 90_000,
    });

    await test.step('Clusters: the medoids, with no click', async () => {
      await nav.getByRole('link', { name: 'Clusters' }).click();
      const cards = page.getByTestId('cluster-card');
      await expect(cards.first()).toBeVisible({ timeout: 60_000 });
      const shown = await cards.count();
      expect(shown).toBeGreaterThanOrEqual(2);
      await expect.poll(() => loadedImages(page.getByTestId('clusters'))).toBe(shown);
      await expect(page.getByTestId('clusters-work')).toHaveCount(0);
      await shot(page, shell, 'first-open-clusters');
    });

    await test.step('Colours: the library’s own colours, and photos for the first', async () => {
      await nav.getByRole('link', { name: 'Colours' }).click();
      const own = page.getByTestId('own-colours').getByRole('button');
      await expect(own.first()).toBeVisible({ timeout: 30_000 });
      expect(await own.count()).toBeGreaterThanOrEqual(4);
      // The first swatch is the query, already run.
      await expect(own.first()).toHaveAttribute('aria-pressed', 'true');
      const first = /#[0-9a-f]{6}/.exec((await own.first().getAttribute('title')) ?? '')?.[0];
      await expect(page.getByRole('textbox', { name: 'Colour 1 as hex' })).toHaveValue(first ?? '');
      const results = page.getByTestId('results');
      await expect(results.locator('li').first()).toBeVisible({ timeout: 30_000 });
      await expect.poll(() => loadedImages(results)).toBeGreaterThanOrEqual(4);
      await shot(page, shell, 'first-open-colours');

      // Another swatch is another query: it replaces the colour, and the search runs again (the
      // best match may be the same photo, but not with the same score).
      const firstScore = await results.getByTestId('score').first().textContent();
      const second = /#[0-9a-f]{6}/.exec((await own.nth(1).getAttribute('title')) ?? '')?.[0];
      await own.nth(1).click();
      await expect(own.nth(1)).toHaveAttribute('aria-pressed', 'true');
      await expect(own.first()).toHaveAttribute('aria-pressed', 'false');
      await expect(page.getByRole('textbox', { name: 'Colour 1 as hex' })).toHaveValue(
        second ?? '',
      );
      await expect(page.getByRole('textbox', { name: 'Colour 2 as hex' })).toHaveCount(0);
      await expect(results.getByTestId('score').first()).not.toHaveText(firstScore ?? '');
      await expect.poll(() => loadedImages(results)).toBeGreaterThanOrEqual(4);
    });

    await test.step('Similar: a named photo’s neighbours, then the last photo opened', async () => {
      await nav.getByRole('link', { name: 'Similar' }).click();
      const results = page.getByTestId('results');
      await expect(results.locator('li').first()).toBeVisible({ timeout: 30_000 });
      await expect.poll(() => loadedImages(results)).toBeGreaterThanOrEqual(4);
      // It says which photo it started from, and why that one.
      await expect(page.getByTestId('starter-why')).toContainText(/photo/);
      await expect(page.getByRole('img', { name: /\.(png|jpe?g)$/ })).toBeVisible();
      await shot(page, shell, 'first-open-similar');

      // A photo opened in the library becomes the starting point of the next visit.
      await nav.getByRole('link', { name: 'Library' }).click();
      await page.getByRole('combobox', { name: 'Sort' }).selectOption('name');
      await page.getByTestId('photo-grid').locator('[data-index="3"]').click();
      const viewer = page.getByTestId('viewer');
      const name = (await viewer.getByRole('heading', { level: 2 }).textContent()) ?? '';
      expect(name).not.toBe('');
      await page.keyboard.press('Escape');
      await expect(viewer).toHaveCount(0);
      await nav.getByRole('link', { name: 'Similar' }).click();
      await expect(page.getByTestId('starter-why')).toContainText('The last photo you opened');
      await expect(page.getByRole('img', { name })).toBeVisible();
      await expect(results.locator('li').first()).toBeVisible({ timeout: 30_000 });
      await expect.poll(() => loadedImages(results)).toBeGreaterThanOrEqual(4);
    });
  });
});

test.describe('first open of an empty library', () => {
  test.use({ photoFolder: { jpegs: 0, artworks: 0, emoji: 0 } });

  test('each screen says what to do instead of showing nothing', async ({ app }) => {
    const { page } = app;
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Colours' }).click();
    await expect(page.getByTestId('own-colours-empty')).toBeVisible();
    await expect(page.getByRole('region', { name: 'Results' })).toContainText(
      'No photos have a palette yet.',
    );
    await nav.getByRole('link', { name: 'Clusters' }).click();
    await expect(page.getByTestId('clusters-empty')).toContainText('Add a folder in the Library');
    await nav.getByRole('link', { name: 'Similar' }).click();
    await expect(page.getByRole('region', { name: 'Results' })).toContainText(
      'Pick a photo in the library, drop a file, or describe what you are looking for.',
    );
  });
});
