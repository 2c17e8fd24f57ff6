/**
 * The board's columns with drag and drop (dnd-kit; mouse, touch or keyboard: Space picks a card
 * up, arrows move it between columns, Space drops it). Loaded after the first paint (a dynamic
 * import in `Board.jsx`), so dnd-kit is not in the initial bundle; until then the same columns
 * render without it.
 */
import { useState } from 'react';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  pointerWithin,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import Column from './Column.jsx';
import LeadCard, { CardBody } from './LeadCard.jsx';

/** Keyboard dragging jumps from column to column (Left/Right) instead of 25px steps. */
export function columnCoordinates(event, { context, currentCoordinates }) {
  const direction = { ArrowRight: 1, ArrowLeft: -1 }[event.code];
  if (!direction) return undefined;
  event.preventDefault();
  const centers = [...context.droppableRects.values()]
    .map((rect) => rect.left + rect.width / 2)
    .sort((a, b) => a - b);
  // `currentCoordinates` is the dragged card's top-left corner.
  const width = context.collisionRect?.width || 0;
  const x = currentCoordinates.x + width / 2;
  const target =
    direction > 0 ? centers.find((c) => c > x + 1) : [...centers].reverse().find((c) => c < x - 1);
  if (target === undefined) return currentCoordinates;
  return { x: target - width / 2, y: currentCoordinates.y };
}

/** Pointer inside a column wins; otherwise the closest column (keyboard dragging). */
function collisions(args) {
  const within = pointerWithin(args);
  return within.length ? within : closestCenter(args);
}

function DraggableCard(props) {
  const drag = useDraggable({ id: props.lead.id, data: { lead: props.lead } });
  return <LeadCard {...props} drag={drag} />;
}

function DroppableColumn(props) {
  const { setNodeRef, isOver } = useDroppable({ id: props.stage });
  return <Column {...props} dropRef={setNodeRef} isOver={isOver} />;
}

const announcements = {
  onDragStart: ({ active }) => `Picked up ${active.data.current?.lead?.name}.`,
  onDragOver: ({ active, over }) => (over ? `${active.data.current?.lead?.name} is over ${over.id}.` : undefined),
  onDragEnd: ({ active, over }) =>
    over
      ? `${active.data.current?.lead?.name} was dropped in ${over.id}.`
      : `${active.data.current?.lead?.name} was dropped.`,
  onDragCancel: ({ active }) => `Moving ${active.data.current?.lead?.name} was cancelled.`,
};

/** `columnProps(stage)` gives each column's props; `onMove(lead, stage)` is called on a drop. */
export default function DndBoard({ stages, columnProps, cardProps, onMove }) {
  const [dragged, setDragged] = useState(null);
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: columnCoordinates,
      keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] },
    }),
  );
  const onDragEnd = ({ active, over }) => {
    setDragged(null);
    const lead = active.data.current?.lead;
    if (lead && over && over.id !== lead.status) onMove(lead, String(over.id));
  };
  const renderCard = (lead) => <DraggableCard key={lead.id} {...cardProps(lead)} />;
  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisions}
      accessibility={{ announcements }}
      onDragStart={({ active }) => setDragged(active.data.current?.lead || null)}
      onDragCancel={() => setDragged(null)}
      onDragEnd={onDragEnd}
    >
      <div className="board" aria-label="Pipeline">
        {stages.map((stage) => (
          <DroppableColumn key={stage} {...columnProps(stage)} renderCard={renderCard} />
        ))}
      </div>
      <DragOverlay dropAnimation={null}>
        {dragged ? (
          <div className="card card-overlay">
            <CardBody lead={dragged} />
          </div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );
}
