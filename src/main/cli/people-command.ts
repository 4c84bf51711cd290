// `people` and `people show <id>`: the faces found while indexing, grouped into people, with the
// names given in the app. The JSON shapes are in the design's cli.md; paths are absolute, boxes
// are fractions of the photo as displayed.
import type { FaceBox } from '../../shared/domain.ts';
import { PeopleError } from '../engine/faces/face-types.ts';
import type { Library } from '../engine/library.ts';
import type { Command, CommandContext } from './commands.ts';
import { round } from './numbers.ts';
import { UsageError, WorkError } from './errors.ts';

/** Faces listed by `people show` per page read; the whole person is printed. */
const PAGE = 2000;

async function withLibrary<T>(
  context: CommandContext,
  work: (library: Library) => Promise<T>,
): Promise<T> {
  const library = await context.openLibrary();
  try {
    // Photos found but not yet indexed (an interrupted run) are finished first.
    await library.whenIdle();
    return await work(library);
  } catch (error) {
    if (error instanceof PeopleError) throw new WorkError(error.message);
    throw error;
  } finally {
    await library.close();
  }
}

const roundBox = (box: FaceBox): FaceBox => ({
  x: round(box.x),
  y: round(box.y),
  width: round(box.width),
  height: round(box.height),
});

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const peopleCommand: Command = {
  summary: 'the people whose faces were found, or one person’s faces',
  usage: 'people [show <id>]',
  run: async (context) => {
    const [sub, idText, ...extra] = context.args;
    if (sub === undefined) return await listPeople(context);
    if (sub !== 'show') {
      throw new UsageError(`unknown people command "${sub}" (usage: shoebox people [show <id>]).`);
    }
    if (idText === undefined || extra.length > 0) {
      throw new UsageError('people show takes one person id: shoebox people show <id>');
    }
    const id = Number(idText);
    if (!Number.isInteger(id) || id < 1) {
      throw new UsageError(`a person id is a whole number of 1 or more, not "${idText}".`);
    }
    await showPerson(context, id);
  },
};

async function listPeople(context: CommandContext): Promise<void> {
  await withLibrary(context, async (library) => {
    const view = library.people.list();
    const paths = library.photoPathsById(view.persons.map((p) => p.representative.photoId));
    const people = view.persons.map((person) => ({
      id: person.id,
      name: person.name,
      faces: person.faceCount,
      photos: person.photoCount,
      representative: {
        path: paths.get(person.representative.photoId) ?? person.representativePhoto.path,
        box: roundBox(person.representative.box),
      },
    }));
    context.output.result({ people, unclustered: view.unclustered }, () => {
      if (people.length === 0) {
        return view.unclustered > 0
          ? `No people yet: ${plural(view.unclustered, 'face')} found, each seen only once.`
          : 'No faces found in the library.';
      }
      const lines = [
        `${plural(people.length, 'person').replace('persons', 'people')}; ` +
          `${plural(view.unclustered, 'face')} belong to nobody yet.`,
      ];
      for (const p of people) {
        lines.push(
          `  ${String(p.id).padStart(4)}  ${p.name ?? '(unnamed)'}: ${plural(p.faces, 'face')} in ` +
            `${plural(p.photos, 'photo')}, e.g. ${p.representative.path}`,
        );
      }
      return lines.join('\n');
    });
  });
}

async function showPerson(context: CommandContext, id: number): Promise<void> {
  await withLibrary(context, async (library) => {
    let page = library.people.show(id, 0, PAGE);
    const faces = [...page.faces];
    while (faces.length < page.total && page.faces.length > 0) {
      page = library.people.show(id, faces.length, PAGE);
      faces.push(...page.faces);
    }
    const { person } = page;
    const result = {
      id: person.id,
      name: person.name,
      faces: faces.map(({ face, photo }) => ({
        path: photo.path,
        box: roundBox(face.box),
        score: round(face.score),
      })),
    };
    context.output.result(result, () =>
      [
        `${person.name ?? `Person ${person.id} (unnamed)`}: ${plural(faces.length, 'face')} in ` +
          `${plural(person.photoCount, 'photo')}, most typical first:`,
        ...result.faces.map((f) => `  ${f.path}`),
      ].join('\n'),
    );
  });
}
