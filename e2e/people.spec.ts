// People over real faces: face-api's sample group photos (and other framings of them, so each
// person is in more than one photo) beside a few photos with nobody in them. Open People, see
// everyone by their face, open a person, name them, see the name over their face in the viewer
// and go from the face back to them, filter the Library and the Map by them, merge another
// person in and move a face out. One spec, so the library is indexed once (two shared cores).
// In the browser shell the screenshots are the README's pictures (docs/screenshots).
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

/** Runs in the page: the decoded width of an <img>, 0 until it has loaded. */
function loadedWidth(element: unknown): number {
  const img = element as { complete: boolean; naturalWidth: number };
  return img.complete ? img.naturalWidth : 0;
}

/** The number at the start of a text such as "6 photos" or "13 photos · 14 faces". */
async function leadingNumber(locator: Locator): Promise<number> {
  const text = (await locator.textContent()) ?? '';
  const match = /^[\d,]+/.exec(text.trim());
  if (!match) throw new Error(`No number in "${text}"`);
  return Number(match[0].replace(/,/g, ''));
}

test.use({ photoFolder: { jpegs: 4, artworks: 0, emoji: 6, faces: true } });

test('people: see everyone, name one, find them in the viewer, the Library and the Map', async ({
  app,
}) => {
  // Face detection runs the detector networks in WebAssembly on each photo with people in it
  // (about a second each on a quiet core): more than the default two minutes on shared cores.
  test.setTimeout(360_000);
  const { page, photos, shell } = app;
  const cards = page.getByTestId('person-card');

  await test.step('before any photo, People says what to do', async () => {
    await page
      .getByRole('navigation', { name: 'Screens' })
      .getByRole('link', { name: 'People' })
      .click();
    await expect(page.getByTestId('people-empty')).toContainText(/Add a folder/);
  });

  await test.step('index the photos', async () => {
    await app.goto('/library');
    await app.addFolder(photos.dir);
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images), {
      timeout: 200_000,
    });
    await expect(page.getByTestId('index-status')).toHaveAttribute('data-running', 'false', {
      timeout: 60_000,
    });
  });

  await test.step('People shows everyone found, each by their own face', async () => {
    // Keyboard: the People tab is a link in the screens' navigation, reached with Tab.
    const tab = page.getByRole('navigation', { name: 'Screens' }).getByRole('link', {
      name: 'People',
    });
    await tab.focus();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/people$/);
    // Faces are looked for after the other features: wait until none is left to look at.
    await expect(page.getByTestId('people-status')).not.toContainText('Still looking', {
      timeout: 90_000,
    });
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // Every person starts unnamed and is in at least two photos (the fixture's framings).
    const first = cards.first();
    await expect(first).toContainText('Unnamed');
    expect(await leadingNumber(first.locator('.muted'))).toBeGreaterThanOrEqual(2);
    // Each card's face is a real picture, loaded and scaled so the face fills the card.
    for (const card of await cards.all()) {
      const img = card.locator('.face-crop img');
      await expect.poll(() => img.evaluate(loadedWidth)).toBeGreaterThan(0);
      const cropBox = await card.locator('.face-crop').boundingBox();
      const imgBox = await img.boundingBox();
      expect(cropBox && imgBox).toBeTruthy();
      // The whole photo is several times wider than the crop: the face was cut out of it.
      expect(imgBox!.width).toBeGreaterThan(cropBox!.width * 2);
    }
    // The picture shows the screen, not where the keyboard left the focus.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await shot(page, shell, 'people');
  });

  let photoCount = 0;
  let personUrl = '';

  await test.step('a person opens to their faces', async () => {
    await cards.first().click();
    await expect(page).toHaveURL(/\/people\?person=\d+$/);
    personUrl = new URL(page.url()).pathname + new URL(page.url()).search;
    const faces = page.getByTestId('person-faces').locator('li');
    await expect.poll(() => faces.count()).toBeGreaterThanOrEqual(2);
    photoCount = await leadingNumber(page.getByTestId('person-counts'));
    expect(photoCount).toBeGreaterThanOrEqual(2);
    await expect(faces.first()).toContainText('most typical');
  });

  await test.step('naming them: a blank name is no name, a real one sticks', async () => {
    await page.getByRole('button', { name: 'Name this person' }).click();
    const field = page.getByRole('textbox', { name: 'Name' });
    await expect(field).toBeFocused();
    await field.fill('Ada');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('person-name')).toHaveText('Ada');
    await shot(page, shell, 'people-person');
    await page.getByRole('button', { name: 'All people' }).click();
    await expect(cards.filter({ hasText: 'Ada' })).toHaveCount(1);
  });

  await test.step('the Library shows only her photos, and the viewer names her face', async () => {
    await app.goto('/library');
    const picker = page.getByTestId('person-picker');
    await picker.selectOption({ label: `Ada · ${photoCount} photos` });
    await expect(page.getByTestId('photo-count')).toHaveText(String(photoCount));
    await expect(page.getByRole('heading', { level: 1 })).toContainText('with Ada');
    await page.getByTestId('photo-grid').locator('[data-index="0"]').click();
    const viewer = page.getByTestId('viewer');
    await expect(viewer).toBeVisible();
    const adaBox = viewer.getByTestId('face-box').filter({ hasText: 'Ada' });
    await expect(adaBox).toBeVisible();
    // The box sits over the picture, not off it.
    const image = await viewer.getByTestId('viewer-image').boundingBox();
    const box = await adaBox.boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(image!.x - 1);
    expect(box!.x + box!.width).toBeLessThanOrEqual(image!.x + image!.width + 1);
    await expect(viewer.getByRole('list', { name: 'People in this photo' })).toContainText('Ada');
    await shot(page, shell, 'viewer-faces');

    // F hides the outlines and shows them again; the button says which.
    await page.keyboard.press('f');
    await expect(viewer.getByTestId('face-box')).toHaveCount(0);
    await expect(viewer.getByTestId('faces-toggle')).toHaveAttribute('aria-pressed', 'false');
    await page.keyboard.press('f');
    await expect(adaBox).toBeVisible();

    // Her face leads to her.
    await adaBox.click();
    await expect(page).toHaveURL(new RegExp(`${personUrl.replace('?', '\\?')}$`));
    await expect(page.getByTestId('person-name')).toHaveText('Ada');
  });

  await test.step('clearing the filter brings everyone back', async () => {
    await app.goto(`/library?person=${new URL(page.url()).searchParams.get('person')}`);
    await expect(page.getByTestId('photo-count')).toHaveText(String(photoCount));
    await page.getByRole('button', { name: 'Clear person' }).click();
    await expect(page.getByTestId('photo-count')).toHaveText(String(photos.images));
    await expect(page.getByTestId('person-picker')).toHaveValue('');
  });

  await test.step('the Map shows only her photos', async () => {
    await app.goto(personUrl);
    await page.getByRole('link', { name: 'Show on Map' }).click();
    await expect(page).toHaveURL(/\/map\?person=\d+$/);
    const legend = page.getByLabel('Legend');
    await expect(legend.locator('strong')).toHaveText(`${photoCount} photos`, {
      timeout: 60_000,
    });
    await expect(page.getByTestId('map-canvas')).toBeVisible();
    await page.getByTestId('person-picker').selectOption('');
    await expect
      .poll(async () => leadingNumber(legend.locator('strong')), { timeout: 30_000 })
      .toBeGreaterThan(photoCount);
  });

  await test.step('another person merged into her, then a face moved out again', async () => {
    await app.goto(personUrl);
    const counts = page.getByTestId('person-counts');
    await expect(counts).toContainText('faces');
    const facesBefore = Number(/· ([\d,]+) face/.exec((await counts.textContent()) ?? '')?.[1]);
    await page.getByRole('button', { name: 'Merge…' }).click();
    const panel = page.getByRole('form', { name: 'Merge people' });
    const other = panel.getByRole('combobox');
    await other.selectOption({ index: 1 });
    await expect(panel).toContainText('will join Ada');
    await panel.getByRole('button', { name: 'Merge' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'is now part of Ada' })).toBeVisible();
    await expect
      .poll(async () => Number(/· ([\d,]+) face/.exec((await counts.textContent()) ?? '')?.[1]))
      .toBeGreaterThan(facesBefore);
    const facesMerged = Number(/· ([\d,]+) face/.exec((await counts.textContent()) ?? '')?.[1]);

    // The last face listed is the least typical: say it is not her, and that it is nobody known.
    const faces = page.getByTestId('person-faces').locator('li');
    const last = faces.last();
    await last.getByRole('button', { name: /Move this face out/ }).click();
    await last.getByRole('button', { name: 'Nobody I know' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'no longer belongs to anyone' }),
    ).toBeVisible();
    await expect
      .poll(async () => Number(/· ([\d,]+) face/.exec((await counts.textContent()) ?? '')?.[1]))
      .toBe(facesMerged - 1);
    await expect(page.getByTestId('person-name')).toHaveText('Ada');
  });
});
