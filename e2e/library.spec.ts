// The Library journey a new user takes: empty library, add a folder, watch indexing finish,
// scroll the grid, open a photo, look at the failures and the settings. In the browser shell
// the screenshots double as the README's pictures (docs/screenshots).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

/** Runs in the page: the decoded width of an <img>, 0 until it has loaded. */
function loadedWidth(element: unknown): number {
  const img = element as { complete: boolean; naturalWidth: number };
  return img.complete ? img.naturalWidth : 0;
}

const screenshots = join(import.meta.dirname, '..', 'docs', 'screenshots');

async function shot(page: Page, shell: string, name: string): Promise<void> {
  if (shell !== 'browser') return;
  await mkdir(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

test('a new library: add a folder, index it, browse it, open a photo', async ({ app }) => {
  const { page, photos, shell } = app;

  await test.step('first run explains what to do', async () => {
    await expect(page.getByTestId('empty-state')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Add a folder of photos' })).toBeVisible();
    await shot(page, shell, 'library-empty');
  });

  if (shell === 'browser') {
    // The desktop app picks folders with the native dialog, so only the browser has a path field.
    await test.step('a path that is not a folder is refused with a reason', async () => {
      await app.addFolder(join(photos.dir, 'no-such-folder'));
      await expect(page.getByRole('alert')).toContainText(/does not exist|not a folder|no such/i);
    });
  }

  await test.step('adding the folder starts indexing, and indexing finishes', async () => {
    await app.addFolder(photos.dir);
    const status = page.getByTestId('index-status');
    const bar = page.getByRole('progressbar', { name: 'Indexing' });
    await expect(bar.or(status.getByTestId('index-idle'))).toBeVisible();
    // Indexing is quick on small files: for the picture, catch the bar part-way if it is
    // still there once some thumbnails show.
    const partWay = await expect
      .poll(
        async () =>
          Number(
            (await bar.getAttribute('aria-valuenow', { timeout: 500 }).catch(() => null)) ?? -1,
          ),
        {
          timeout: 20_000,
        },
      )
      .toBeGreaterThan(photos.images / 3)
      .then(
        () => true,
        () => false,
      );
    if (partWay && (await bar.isVisible())) await shot(page, shell, 'library-indexing');
    // The count first: "not running" is also true before indexing has started.
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), {
      timeout: 90_000,
    });
    await expect(status).toHaveAttribute('data-running', 'false', { timeout: 30_000 });
    await expect(status).toContainText(`${photos.images} photos`);
  });

  const grid = page.getByTestId('photo-grid');

  await test.step('thumbnails load in the grid', async () => {
    const first = grid.locator('[data-index="0"] img');
    await expect(first).toBeVisible();
    await expect.poll(() => first.evaluate(loadedWidth)).toBeGreaterThan(0);
    await page.mouse.move(0, 0);
    await shot(page, shell, 'library-grid');
  });

  await test.step('the grid scrolls to the end, keeping only nearby rows in the page', async () => {
    const last = photos.images - 1;
    await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect(grid.locator(`[data-index="${last}"]`)).toBeVisible();
    // Virtualised: the first cell has left the DOM once it is far out of view.
    await expect(grid.locator('[data-index="0"]')).toHaveCount(0);
    await grid.evaluate((el) => el.scrollTo({ top: 0 }));
    await expect(grid.locator('[data-index="0"]')).toBeVisible();
  });

  await test.step('the keyboard moves through the grid and opens a photo', async () => {
    await grid.focus();
    await page.keyboard.press('ArrowRight');
    await expect(grid.locator('[data-index="1"]')).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('Enter');
    const viewer = page.getByTestId('viewer');
    await expect(viewer).toBeVisible();
    // The viewer is modal: Tab stays inside it.
    await page.keyboard.press('Tab');
    await expect(viewer.locator(':focus')).toHaveCount(1);
    await page.keyboard.press('Escape');
    await expect(viewer).toBeHidden();
    // Focus is back on the grid, on the same photo, so the keyboard carries on from there.
    await expect(grid).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(grid.locator('[data-index="2"]')).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('the viewer shows the full image, its metadata and palette', async () => {
    // Largest first: the camera JPEGs outweigh the artwork and emoji PNGs.
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('size');
    const first = grid.locator('[data-index="0"]');
    await expect(first).toHaveAttribute('aria-label', /^IMG_\d+\.jpg$/);
    await first.click();
    const viewer = page.getByTestId('viewer');
    await expect(viewer).toBeVisible();
    const image = viewer.getByTestId('viewer-image');
    await expect.poll(() => image.evaluate(loadedWidth)).toBeGreaterThan(0);
    await expect(viewer).toContainText(/(1200 × 800|800 × 1200) px/);
    await expect(viewer.getByTestId('palette').locator('li').first()).toBeVisible();
    await expect(viewer.getByRole('button', { name: 'Similar by content' })).toBeVisible();
    await expect(viewer.getByRole('button', { name: 'Show in folder' })).toHaveCount(
      shell === 'electron' ? 1 : 0,
    );
    await page.waitForTimeout(250);
    await shot(page, shell, 'library-viewer');
    const name = await viewer.getByRole('heading', { level: 2 }).textContent();
    await page.keyboard.press('ArrowRight');
    await expect(viewer.getByRole('heading', { level: 2 })).not.toHaveText(name ?? '');
    await page.keyboard.press('Escape');
    await expect(viewer).toBeHidden();
  });

  await test.step('files that could not be read are listed with their reasons', async () => {
    await page.getByRole('button', { name: /could not be read/ }).click();
    const list = page.getByRole('region', { name: 'Files that could not be read' });
    for (const failure of photos.failures) {
      const row = list.locator('li', { hasText: failure.name });
      await expect(row).toBeVisible();
      await expect(row.locator('.failure-reason')).toHaveText(failure.reason);
    }
    await shot(page, shell, 'library-failures');
    await page.getByRole('button', { name: 'Close list' }).click();
  });
});

test('settings show the folders, the model and the thumbnail cache', async ({ app }) => {
  const { page, photos, shell } = app;
  await app.addFolder(photos.dir);
  // "Not running" is also true before indexing has started, so wait for every photo to be
  // indexed (each then has its thumbnail) first: on a loaded machine that takes a minute.
  await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), {
    timeout: 90_000,
  });
  await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', {
    timeout: 90_000,
  });
  await page.getByRole('link', { name: 'Settings' }).click();
  const settings = page.getByTestId('settings');
  await expect(settings.getByText(photos.dir, { exact: true })).toBeVisible();
  await expect(settings.getByTestId('model-id')).not.toBeEmpty();
  await expect(settings.getByTestId('cache-size')).toContainText(
    new RegExp(`in ${photos.images} files`),
  );
  await shot(page, shell, 'settings');
  // The light theme follows the OS.
  await page.emulateMedia({ colorScheme: 'light' });
  await shot(page, shell, 'settings-light');
  await page.emulateMedia({ colorScheme: 'dark' });

  // A screen is a route: reloading it shows the same screen.
  await page.reload();
  await expect(page.getByTestId('settings')).toBeVisible();

  // Reference folders move to their own list.
  await settings.getByRole('checkbox', { name: 'Reference' }).click();
  await expect(
    settings.locator('section', { has: page.getByRole('heading', { name: 'Reference folders' }) }),
  ).toContainText(photos.dir);

  // A screen can be linked to directly.
  await app.goto('/clusters');
  await expect(page.getByTestId('clusters')).toBeVisible();

  // Every screen is one click away.
  for (const [label, id] of [
    ['Map', 'map'],
    ['Clusters', 'clusters'],
    ['Duplicates', 'duplicates'],
    ['Similar', 'similar'],
    ['Colours', 'colours'],
  ] as const) {
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('link', { name: label })
      .click();
    await expect(page.getByTestId(id)).toBeVisible();
  }

  // Every shortcut is one key away.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Open the photo');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();

  // Removing a folder says what it forgets, and the library is empty again afterwards.
  await page
    .getByRole('navigation', { name: 'Screens' })
    .getByRole('link', { name: 'Library' })
    .click();
  const folderName = photos.dir.split('/').pop() ?? '';
  await page.getByRole('button', { name: `Remove ${folderName} from the library` }).click();
  const confirm = page.getByRole('group', { name: 'Confirm removal' });
  await expect(confirm).toContainText(`Forget ${photos.images} photos`);
  await expect(confirm).toContainText('The files stay on disk.');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
});
